"""The recommendation table: one base table, one template, exports safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Iterator

import django_tables2 as tables
from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import slugify
from django_tables2.data import TableQuerysetData
from django_tables2.export import TableExport
from django_tables2.rows import BoundRow, BoundRows
from django_tables2.utils import signature
from tablib.formats._json import serialize_objects_handler

from tracker.as_of import AsOf, published_updates_as_of, recommendations_as_of
from tracker.models import ImplementationStatus, Ownership, ResponseKind
from tracker.public.headlines import with_lead_owner

# A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """Prefix a quote so a spreadsheet shows the text instead of running it."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def uk_date(day: datetime.date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


class Row(BoundRow):
    """A row whose cells find their column by name and call its methods through the table's
    `call_cell` (see below): django-tables2 searches the columns and inspects the method for
    every cell, which was half the time of a page's rows or of a download."""

    def get_cell(self, name):
        bound_column = self.table.column_named(name)
        return self._get_and_render_with(
            bound_column, render_func=self._call_render, default=bound_column.default
        )

    def get_cell_value(self, name):
        bound_column = self.table.column_named(name)
        return self._get_and_render_with(bound_column, render_func=self._call_value, default=None)

    def _call_render(self, bound_column, value=None):
        arguments = self._optional_cell_arguments(bound_column, value)
        content = self.table.call_cell(bound_column.render, arguments)
        return bound_column.link(content, **arguments) if bound_column.link else content

    def _call_value(self, bound_column, value=None):
        arguments = self._optional_cell_arguments(bound_column, value)
        return self.table.call_cell(bound_column.value, arguments)


class Rows(BoundRows):
    def __iter__(self):
        yield from self.generator_pinned_row(self.pinned_data.get("top"))
        for record in self.data:
            yield Row(record, table=self.table)
        yield from self.generator_pinned_row(self.pinned_data.get("bottom"))

    def __getitem__(self, key):
        if isinstance(key, slice):
            return Rows(data=self.data[key], table=self.table, pinned_data=self.pinned_data)
        return Row(record=self.data[key], table=self.table)


class BaseTable(tables.Table):
    class Meta:
        template_name = "django_tables2/table.html"
        attrs = {"class": "data-table"}
        empty_text = "No recommendations match these filters."

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = Rows(data=self.data, table=self, pinned_data=self.pinned_data)
        self._signatures = {}
        self._columns_by_name = None

    def column_named(self, name: str):
        """`self.columns[name]`, from a dictionary made when the first cell is rendered."""
        if self._columns_by_name is None:
            self._columns_by_name = {column.name: column for column in self.columns.iterall()}
        return self._columns_by_name[name]

    def call_cell(self, method, arguments: dict):
        """django-tables2's `call_with_appropriate`, reading each method's parameters once per
        table rather than once per cell."""
        key = (getattr(method, "__func__", method), hasattr(method, "__func__"))
        if key not in self._signatures:
            self._signatures[key] = signature(method)
        names, catch_all = self._signatures[key]
        if not catch_all:
            if any(name not in arguments for name in names):
                return None
            arguments = {name: arguments[name] for name in names}
        return method(**arguments)

    def as_values(self, exclude_columns=None, spreadsheet_safe: bool = True):
        for row in super().as_values(exclude_columns=exclude_columns):
            yield [neutralise_formula(value) for value in row] if spreadsheet_safe else row


# The downloads' columns: 2 added due date, deadline state, days late, status date, supporting
# owners and source URLs, and wrote dates as dates (XLSX date cells); 3 added the response late
# since and the deadlines missed.
DOWNLOAD_FORMAT_VERSION = 3
# CSV downloads start with a byte-order mark, so that Excel reads them as UTF-8.
CSV_BOM = "\ufeff"

# A download is read from the database and written out this many rows at a time.
ROWS_PER_CHUNK = 100
# What a download's rows are given beyond the page's (`table_queryset`).
DOWNLOAD_PREFETCHED = ("supporting_ownerships", "published_updates")


class SpreadsheetSafeExport(TableExport):
    """CSV and XLSX cells are neutralised; JSON keeps the values exactly.

    CSV and JSON are written as they are sent, a chunk of rows at a time, so a download's memory
    does not grow with the number of rows (the bytes are those tablib would write). XLSX is still
    built in memory through tablib: openpyxl needs the whole workbook before it can write the file.
    """

    STREAMED = (TableExport.CSV, TableExport.JSON)

    def __init__(self, export_format, table, exclude_columns=None, dataset_kwargs=None):
        if export_format not in self.STREAMED:
            super().__init__(export_format, table, exclude_columns, dataset_kwargs)
            return
        self.format = export_format
        self.table = table
        self.exclude_columns = exclude_columns

    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        safe = self.format != TableExport.JSON
        original = table.as_values
        table.as_values = lambda exclude_columns=None: original(exclude_columns, safe)
        try:
            return super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        finally:
            del table.as_values

    def response(self, filename: str | None = None) -> HttpResponse | StreamingHttpResponse:
        if self.format not in self.STREAMED:
            return super().response(filename)
        values = self.table.as_values(
            self.exclude_columns, spreadsheet_safe=self.format != TableExport.JSON
        )
        chunks = csv_chunks(values) if self.format == TableExport.CSV else json_chunks(values)
        response = StreamingHttpResponse(chunks, content_type=self.content_type())
        if filename is not None:
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def csv_chunks(values: Iterator[list]) -> Iterator[str]:
    """The header row and the rows as CSV, as tablib writes them, a chunk of rows at a time."""
    buffer = io.StringIO()
    buffer.write(CSV_BOM)
    writer = csv.writer(buffer)
    for number, row in enumerate(values, start=1):
        writer.writerow(row)
        if number % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def json_chunks(values: Iterator[list]) -> Iterator[str]:
    """An array of one object a row, keyed by the header row, as tablib writes it, in chunks."""
    headers = next(values)
    parts = ["["]
    for number, row in enumerate(values, start=1):
        if number > 1:
            parts.append(", ")
        record = dict(zip(headers, row, strict=True))
        parts.append(json.dumps(record, default=serialize_objects_handler, ensure_ascii=False))
        if number % ROWS_PER_CHUNK == 0:
            yield "".join(parts)
            parts = []
    parts.append("]")
    yield "".join(parts)


# The filters named in a download's file name, in this order.
FILENAME_FILTERS = (
    "report",
    "owner",
    "status",
    "response",
    "late",
    "overdue",
    "response_late",
    "q",
)
# A yes/no filter in the file name: (the words for yes, the words for no).
YES_NO_WORDS = {
    "late": ("late", "not-late"),
    "overdue": ("overdue", "not-overdue"),
    "response_late": ("response-late", "response-not-late"),
}


def export_filename(params, day: datetime.date, export_format: str) -> str:
    """The filters and the day in the name: “recommendations-casey-audit-overdue-as-of-….csv”."""
    parts = ["recommendations"]
    for name in FILENAME_FILTERS:
        value = slugify(params.get(name, ""))[:40]
        if not value:
            continue
        if name in YES_NO_WORDS:
            value = YES_NO_WORDS[name][0 if value == "yes" else 1]
        elif name == "q":
            value = f"matching-{value}"
        parts.append(value)
    return f"{'-'.join(parts)}-as-of-{day.isoformat()}.{export_format}"


class PageQuerysetData(TableQuerysetData):
    """The table's rows, annotated only where they are shown or downloaded.

    A page's rows are picked by an id query that computes only what the filters and the sort need,
    and only those rows get the other per-row figures. A download reads the rows in chunks. Ties
    in the sort are broken by id, so a row never shows on two pages nor on none. `count` is the
    number of rows when it is already known (it saves a second COUNT query).
    """

    def __init__(self, queryset: QuerySet, count: int | None = None):
        super().__init__(queryset)
        self.count = count

    def __len__(self) -> int:
        return self.count if self.count is not None else super().__len__()

    def _in_stable_order(self) -> QuerySet:
        ordering = self.data.query.order_by or self.data.model._meta.ordering
        return self.data.order_by(*ordering, "pk")

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return super().__getitem__(key)
        queryset = self._in_stable_order()
        return queryset.filter(pk__in=queryset.values("pk")[key])

    def __iter__(self):
        """A download's rows, read a chunk at a time. Once a row is written, its prefetched
        lists are dropped: each prefetched object points back at its row (Django sets the
        reverse relation), and such cycles wait for the cyclic garbage collector, so without
        this the download's memory grew with its rows."""
        for row in self._in_stable_order().iterator(chunk_size=ROWS_PER_CHUNK):
            yield row
            for name in DOWNLOAD_PREFETCHED:
                row.__dict__.pop(name, None)


def table_queryset(as_of: AsOf, for_download: bool = False) -> QuerySet:
    """Recommendations with their as-of figures and their lead owner, for the table; for a
    download, also their supporting owners and their published updates' sources (two queries
    for each chunk of rows)."""
    rows = with_lead_owner(recommendations_as_of(as_of, accounts=False).select_related("report"))
    if not for_download:
        return rows
    return rows.select_related("text_source").prefetch_related(
        Prefetch(
            "ownerships",
            queryset=Ownership.objects.filter(role=Ownership.Role.SUPPORTING)
            .select_related("organisation")
            .order_by("organisation__name"),
            to_attr=DOWNLOAD_PREFETCHED[0],
        ),
        Prefetch(
            "updates",
            queryset=published_updates_as_of(as_of)
            .select_related("source")
            .only("id", "recommendation_id", "source__url", "describes_on", "published_at")
            .order_by("-describes_on", "-published_at", "-pk"),
            to_attr=DOWNLOAD_PREFETCHED[1],
        ),
    )


class RecommendationTable(BaseTable):
    report = tables.Column(
        accessor="report__short_name",
        verbose_name="Report",
        order_by=("report__published_on", "report__slug", "number"),
    )
    number = tables.Column(verbose_name="No.", order_by=("report__published_on", "number"))
    title = tables.Column(verbose_name="Recommendation", empty_values=())
    lead_owner = tables.Column(
        accessor="lead_owner_name", verbose_name="Lead owner", default="Not known"
    )
    response = tables.Column(accessor="headline_response", verbose_name="Response", empty_values=())
    status = tables.Column(accessor="status_then", verbose_name="Status")
    timeliness = tables.Column(
        accessor="oldest_overdue_due",
        verbose_name="Deadline",
        order_by=("-is_overdue", "oldest_overdue_due", "next_due"),
        empty_values=(),
    )
    last_update = tables.Column(
        accessor="last_update_on", verbose_name="Last update", default="None yet"
    )
    # Export only: the full record of each row.
    report_title = tables.Column(
        accessor="report__title", verbose_name="Report title", visible=False
    )
    wording_kind = tables.Column(
        accessor="text_kind", verbose_name="Kind of wording", visible=False
    )
    wording = tables.Column(accessor="text", verbose_name="Wording", visible=False, default="")
    page = tables.Column(accessor="pk", verbose_name="Page", visible=False)
    as_of = tables.Column(accessor="pk", verbose_name="Data as of", visible=False)
    # Export only, added in download format 2: the deadline and status as separate cells, the
    # supporting owners and the sources (see /data/#fields).
    due_date = tables.Column(accessor="pk", verbose_name="Due date", visible=False)
    deadline_state = tables.Column(accessor="pk", verbose_name="Deadline state", visible=False)
    days_late = tables.Column(accessor="pk", verbose_name="Days late", visible=False)
    status_date = tables.Column(
        accessor="status_then_on", verbose_name="Status date", visible=False, default=None
    )
    supporting_owners = tables.Column(
        accessor="pk", verbose_name="Supporting owners", visible=False
    )
    source_urls = tables.Column(accessor="pk", verbose_name="Source URLs", visible=False)
    format_version = tables.Column(accessor="pk", verbose_name="Format version", visible=False)
    # Export only, added in download format 3 (after the others: columns are only ever added).
    response_late_since = tables.Column(
        accessor="pk", verbose_name="Response late since", visible=False
    )
    deadlines_missed = tables.Column(
        accessor="deadlines_missed", verbose_name="Deadlines missed", visible=False, default=0
    )

    class Meta(BaseTable.Meta):
        sequence = (
            "report",
            "number",
            "title",
            "lead_owner",
            "response",
            "status",
            "timeliness",
            "last_update",
        )

    def __init__(self, *args, as_of: AsOf, **kwargs):
        self.as_of = as_of
        super().__init__(*args, **kwargs)

    def _query(self) -> str:
        return f"?as_of={self.as_of.query_value}" if self.as_of.is_past else ""

    def render_report(self, record) -> str:
        return format_html(
            '<a href="{}{}">{}</a>', record.report.get_absolute_url(), self._query(), record.report
        )

    def value_report(self, record) -> str:
        return record.report.short_name

    def value_wording_kind(self, record) -> str:
        return record.text_kind

    def render_title(self, record) -> str:
        return format_html(
            '<a href="{}{}">{}</a>',
            record.get_absolute_url(),
            self._query(),
            record.title or "Title not yet known",
        )

    def value_title(self, record) -> str:
        return record.title

    def render_lead_owner(self, record, value) -> str:
        url = reverse("owner_detail", args=[record.lead_owner_slug])
        return format_html('<a href="{}{}">{}</a>', url, self._query(), value)

    def value_lead_owner(self, value) -> str:
        return value

    def render_response(self, record, value) -> str:
        """The lead owner's response, and since when it is late (not given or not decided by
        the date due), if it is."""
        late_since = getattr(record, "response_late_since", None)
        if getattr(record, "is_response_late", False) and late_since:
            return format_html(
                '{} <span class="overdue">(late since {})</span>',
                self.value_response(value) if value else "No response recorded",
                uk_date(late_since),
            )
        return self.value_response(value)

    def value_response(self, value) -> str:
        return ResponseKind(value).label if value else "Not known"

    def render_status(self, value) -> str:
        return format_html(
            '<span class="tag tag--{}">{}</span>', value, ImplementationStatus(value).label
        )

    def value_status(self, value) -> str:
        return ImplementationStatus(value).label

    def render_timeliness(self, record) -> str:
        return describe_timeliness(record, self.as_of.day)

    def value_timeliness(self, record) -> str:
        return describe_timeliness(record, self.as_of.day)

    def render_last_update(self, value) -> str:
        return uk_date(value)

    def value_last_update(self, value) -> datetime.date | str:
        # A date (a date cell in XLSX; YYYY-MM-DD in CSV and JSON).
        return value or ""

    def value_due_date(self, record) -> datetime.date | str:
        return timeliness(record, self.as_of.day)[1] or ""

    def value_deadline_state(self, record) -> str:
        return timeliness(record, self.as_of.day)[0]

    def value_days_late(self, record) -> int | str:
        days = timeliness(record, self.as_of.day)[2]
        return "" if days is None else days

    def value_status_date(self, value) -> datetime.date | str:
        return value or ""

    def value_supporting_owners(self, record) -> str:
        """Names joined with “; ”, from the download's prefetched ownerships."""
        ownerships = getattr(record, "supporting_ownerships", None)
        if ownerships is None:
            return ""
        return "; ".join(o.organisation.name for o in ownerships)

    def value_source_urls(self, record) -> str:
        """The wording's source and the published updates' sources, oldest first, joined with
        a space (addresses hold no spaces)."""
        urls = [record.text_source.url] if record.text_source_id else []
        for update in reversed(getattr(record, "published_updates", [])):
            if update.source_id and update.source.url not in urls:
                urls.append(update.source.url)
        return " ".join(urls)

    def value_response_late_since(self, record) -> datetime.date | str:
        """The first day the response counted as late (not given, or not decided, by the date
        due), when it is late on the row's day; otherwise empty."""
        if getattr(record, "is_response_late", False):
            return record.response_late_since
        return ""

    def value_deadlines_missed(self, value) -> int:
        return value

    def value_format_version(self) -> int:
        return DOWNLOAD_FORMAT_VERSION

    def value_page(self, record) -> str:
        return settings.SITE_URL + record.get_absolute_url()

    def value_as_of(self) -> str:
        return self.as_of.day.isoformat()


class DeadlineState:
    """A row's timeliness, and each deadline's, in the words defined on /methodology/."""

    MISSED = "Missed"
    PAST_DUE = "Past due with no report of delivery"
    DUE_SOON = "Due soon"
    NOT_YET_DUE = "Not yet due"
    NO_DEADLINE = "No deadline set"
    NONE_OPEN = "No open deadline (met, withdrawn or replaced)"
    # Of one deadline only.
    MET_ON_TIME = "Met on time"
    MET_LATE = "Met late"
    WITHDRAWN = "Withdrawn"
    REPLACED = "Replaced before it fell due"


def days_ago(days: int) -> str:
    return f"{days} day{'' if days == 1 else 's'} ago"


def deadline_words(deadline, day: datetime.date, replacement=None) -> str:
    """One deadline's state on `day` (`replacement`: the deadline replacing it, if one was known
    by then), with what shows it: “Missed: replaced after it fell due (the new date was promised
    on 1 May 2025)”, “Past due with no report of delivery: due 31 December 2025, 327 days ago”.
    The same rule as `DeadlineQuerySet.missed` and `.overdue`, for deadlines already read."""
    due = uk_date(deadline.due_date)
    days = days_ago((day - deadline.due_date).days)
    said_missed = deadline.missed_on is not None and deadline.missed_on <= day
    source_says = f"a source said so on {uk_date(deadline.missed_on)}" if said_missed else ""
    if deadline.met_on is not None and deadline.met_on <= day:
        state = DeadlineState.MET_ON_TIME
        if deadline.met_on > deadline.due_date:
            state = DeadlineState.MET_LATE
        return f"{state}: met on {uk_date(deadline.met_on)}, due {due}"
    if deadline.withdrawn_on is not None and deadline.withdrawn_on <= day:
        return f"{DeadlineState.WITHDRAWN} on {uk_date(deadline.withdrawn_on)}, without a new date"
    if replacement is not None:
        promised = replacement.promised_on
        if promised is not None and promised > deadline.due_date:
            return (
                f"{DeadlineState.MISSED}: replaced after it fell due (due {due}; the new date "
                f"was promised on {uk_date(promised)})"
            )
        if said_missed:
            return f"{DeadlineState.MISSED} ({source_says}), then replaced"
        if promised is None:
            return "Replaced by a later date (when it was replaced is not known)"
        return f"{DeadlineState.REPLACED} (on {uk_date(promised)}; it was due {due})"
    if said_missed:
        return f"{DeadlineState.MISSED} ({source_says}): due {due}, {days}"
    if deadline.due_date < day:
        return f"{DeadlineState.PAST_DUE}: due {due}, {days}"
    if (deadline.due_date - day).days <= settings.DUE_SOON_DAYS:
        return f"{DeadlineState.DUE_SOON}: {due}"
    return f"{DeadlineState.NOT_YET_DUE}: {due}"


def timeliness(record, day: datetime.date) -> tuple[str, datetime.date | None, int | None]:
    """A table row's deadline as (state, due date, days late): the oldest overdue deadline, or
    else the next open one. The one reading of the row's timeliness annotations, shown in the
    table's Deadline column and split into columns in the downloads. Overdue is "missed" only
    where a source says so; otherwise it is past due with no report of delivery."""
    if record.is_overdue:
        state = (
            DeadlineState.MISSED
            if getattr(record, "overdue_missed", False)
            else DeadlineState.PAST_DUE
        )
        return state, record.oldest_overdue_due, (day - record.oldest_overdue_due).days
    if record.next_due:
        soon = (record.next_due - day).days <= settings.DUE_SOON_DAYS
        return (
            (DeadlineState.DUE_SOON if soon else DeadlineState.NOT_YET_DUE),
            record.next_due,
            None,
        )
    if not record.has_deadline:
        return DeadlineState.NO_DEADLINE, None, None
    return DeadlineState.NONE_OPEN, None, None


def describe_timeliness(record, day: datetime.date) -> str:
    """“Missed: due 31 December 2025, 327 days ago (a source says so)”, “Past due with no report
    of delivery: due …”, “Due soon: 31 December 2026”, “Not yet due: …”, “No deadline set”; then
    whether an earlier deadline was missed by being replaced after it fell due."""
    state, due, days = timeliness(record, day)
    if state == DeadlineState.MISSED:
        words = f"{state}: due {uk_date(due)}, {days_ago(days)} (a source says so)"
    elif state == DeadlineState.PAST_DUE:
        words = f"{state}: due {uk_date(due)}, {days_ago(days)}"
    elif due is not None:
        words = f"{state}: {uk_date(due)}"
    else:
        words = state
    return words + replaced_late_words(record)


def replaced_late_words(record) -> str:
    """“; an earlier deadline, due 31 March 2025, was missed: replaced after it fell due”."""
    replaced_late = getattr(record, "replaced_late_due", None)
    if replaced_late is None:
        return ""
    return (
        f"; an earlier deadline, due {uk_date(replaced_late)}, was missed: "
        "replaced after it fell due"
    )
