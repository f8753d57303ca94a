"""The recommendation table: one base table, one template, exports safe to open in a spreadsheet."""

from __future__ import annotations

import datetime

import django_tables2 as tables
from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django_tables2.export import TableExport

from tracker.as_of import AsOf, recommendations_as_of
from tracker.headlines import with_lead_owner
from tracker.models import ImplementationStatus, ResponseKind

# A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """Prefix a quote so a spreadsheet shows the text instead of running it."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def uk_date(day: datetime.date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


class BaseTable(tables.Table):
    class Meta:
        template_name = "django_tables2/table.html"
        attrs = {"class": "data-table"}
        empty_text = "No recommendations match these filters."

    def as_values(self, exclude_columns=None, spreadsheet_safe: bool = True):
        for row in super().as_values(exclude_columns=exclude_columns):
            yield [neutralise_formula(value) for value in row] if spreadsheet_safe else row


class SpreadsheetSafeExport(TableExport):
    """CSV and XLSX cells are neutralised; JSON keeps the values exactly."""

    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        safe = self.format != TableExport.JSON
        original = table.as_values
        table.as_values = lambda exclude_columns=None: original(exclude_columns, safe)
        try:
            return super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        finally:
            del table.as_values


def table_queryset(as_of: AsOf) -> QuerySet:
    """Recommendations with their as-of figures and their lead owner, for the table."""
    return with_lead_owner(recommendations_as_of(as_of).select_related("report"))


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
    response = tables.Column(
        accessor="headline_response", verbose_name="Response", default="Not known"
    )
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

    def render_response(self, value) -> str:
        return ResponseKind(value).label

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

    def value_last_update(self, value) -> str:
        return value.isoformat() if value else ""

    def value_page(self, record) -> str:
        return settings.SITE_URL + record.get_absolute_url()

    def value_as_of(self) -> str:
        return self.as_of.day.isoformat()


def describe_timeliness(record, day: datetime.date) -> str:
    """“Overdue: due 31 December 2025, 327 days” / “Due 31 December 2026” / “No deadline set”."""
    if record.is_overdue:
        days = (day - record.oldest_overdue_due).days
        return f"Overdue: due {uk_date(record.oldest_overdue_due)}, {days} days overdue"
    if record.next_due:
        return f"Due {uk_date(record.next_due)}"
    if not record.has_deadline:
        return "No deadline set"
    return "No open deadline"
