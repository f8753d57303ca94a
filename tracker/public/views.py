"""Public pages. Each view builds its context from named queryset methods; no per-row queries.

Every page that shows status takes `?as_of=YYYY-MM-DD` (see `tracker.as_of`).
"""

from __future__ import annotations

import datetime
import functools

from django.conf import settings
from django.db.models import Exists, Min, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin
from django_tables2.export import ExportMixin

from tracker.as_of import (
    AsOf,
    InvalidAsOfDate,
    deadlines_overdue_on,
    parse_as_of,
    published_updates_as_of,
    recommendations_as_of,
    with_headline_response,
)
from tracker.models import (
    Organisation,
    Ownership,
    Recommendation,
    Report,
    ResponseKind,
    StatusUpdate,
)
from tracker.public import feeds
from tracker.public.changes import Basis, latest_changes
from tracker.public.charts import report_progress_charts
from tracker.public.compare import compare, comparison_csv
from tracker.public.facts import (
    RECOMMENDATION_PAGE_TEMPLATE,
    recommendation_page_context,
    recommendation_records,
)
from tracker.public.filters import RecommendationFilter
from tracker.public.freshness import freshness_of
from tracker.public.owner_roles import owned_recommendations
from tracker.public.owner_table import COLUMNS as OWNER_COLUMNS
from tracker.public.owner_table import InvalidSort, owner_table
from tracker.public.query_params import query_answer, takes_query
from tracker.public.scorecards import (
    STATUS_ORDER,
    combined,
    most_late,
    owner_records,
    report_scorecards,
    standings,
)
from tracker.public.search import MAX_QUERY_LENGTH, InvalidSearch, clean_query, site_search
from tracker.public.tables import (
    PageQuerysetData,
    RecommendationTable,
    SpreadsheetSafeExport,
    describe_timeliness,
    export_filename,
    table_queryset,
)
from tracker.response_clocks import response_late_words

OVERDUE_LIST_LENGTH = 20
# More reports than this and the dashboard shows this many scorecards, with a link to them all.
DASHBOARD_SCORECARDS = 12
LATEST_UPDATES_LENGTH = 10
SILENT_LIST_LENGTH = 50


def bad_request(request, message: str):
    return render(request, "tracker/bad_request.html", {"message": message}, status=400)


def with_as_of(view):
    """Read `?as_of=`; a malformed or future date gets a clear message and a 400."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            request.as_of = parse_as_of(request.GET.get("as_of"))
        except InvalidAsOfDate as error:
            return bad_request(request, str(error))
        return view(request, *args, **kwargs)

    return wrapper


def longest_overdue_ids(as_of: AsOf, limit: int) -> list[int]:
    """The `limit` recommendations overdue longest: the earliest due date among their overdue
    deadlines first, then the earlier report, then the lower number.

    The overdue deadlines are read in that order (the partial index on open deadlines' due
    dates) and the first `limit` distinct recommendations kept: a few rows rather than a
    grouped scan of every overdue deadline. Where the first rows read hold too few distinct
    recommendations (many deadlines each), the grouped scan answers instead: two queries at most.
    """
    overdue = (
        deadlines_overdue_on(as_of.day, as_of.today)
        .public()
        .filter(recommendation__report__published_on__lte=as_of.day)
    )
    order = ("recommendation__report__published_on", "recommendation__number", "recommendation_id")
    first_rows = overdue.order_by("due_date", *order).values_list("recommendation_id", flat=True)
    read = list(first_rows[: limit * 4])
    found = list(dict.fromkeys(read))
    if len(found) >= limit or len(read) < limit * 4:
        return found[:limit]
    grouped = (
        overdue.values("recommendation_id")
        .annotate(oldest=Min("due_date"))
        .order_by("oldest", *order)
        .values_list("recommendation_id", flat=True)
    )
    return list(grouped[:limit])


def published_by(as_of: AsOf):
    """The public recommendations of the reports published by the day."""
    return Recommendation.objects.public().filter(report__published_on__lte=as_of.day)


def longest_response_late(as_of: AsOf):
    """The ids of the recommendations response late on the day, the longest late first: from the
    stored clock today, computed for a past day."""
    if as_of.is_past:
        late = with_headline_response(published_by(as_of), as_of.day, clock_only=True).filter(
            is_response_late=True
        )
        since = "response_late_since"
    else:
        late = published_by(as_of).filter(response_late_from__lte=as_of.day)
        since = "response_late_from"
    return late.order_by(since, "report__published_on", "number", "pk").values("pk")


def lead_owners(recommendation_ids: list[int]) -> dict[int, Organisation]:
    ownerships = (
        Ownership.objects.leads()
        .filter(recommendation_id__in=recommendation_ids)
        .select_related("organisation")
    )
    return {o.recommendation_id: o.organisation for o in ownerships}


@takes_query("as_of")
@with_as_of
def home(request):
    as_of: AsOf = request.as_of
    # The longest-overdue and the longest response-late few, read in one query.
    overdue_ids = longest_overdue_ids(as_of, OVERDUE_LIST_LENGTH)
    late_ids = list(longest_response_late(as_of)[:OVERDUE_LIST_LENGTH].values_list("pk", flat=True))
    rows = {
        row.pk: row
        for row in recommendations_as_of(as_of, accounts=False)
        .with_last_checked(as_of.day if as_of.is_past else None)
        .filter(pk__in=[*overdue_ids, *late_ids])
        .select_related("report")
    }
    overdue = sorted(
        (rows[pk] for pk in overdue_ids if pk in rows),
        key=lambda r: (r.oldest_overdue_due, r.report.published_on, r.number, r.pk),
    )
    late_responses = sorted(
        (rows[pk] for pk in late_ids if pk in rows),
        key=lambda r: (r.response_late_since, r.report.published_on, r.number, r.pk),
    )
    listed = list(rows.values())
    leads = lead_owners([r.pk for r in listed]) if listed else {}
    for recommendation in listed:
        recommendation.lead_owner = leads.get(recommendation.pk)
        if recommendation.last_checked_on:
            recommendation.days_since_check = (as_of.day - recommendation.last_checked_on).days
    for recommendation in overdue:
        recommendation.timeliness_words = describe_timeliness(recommendation, as_of.day)
    for recommendation in late_responses:
        recommendation.late_words = response_late_words(recommendation, as_of.day)
    # The newest few are found before the joins, not after joining every update.
    latest_ids = published_updates_as_of(as_of).newest_first().values("pk")
    latest_updates = (
        StatusUpdate.objects.filter(pk__in=latest_ids[:LATEST_UPDATES_LENGTH])
        .select_related("recommendation__report", "organisation", "source")
        .newest_first()
    )
    scorecards = report_scorecards(as_of)
    totals = combined(scorecards)
    # With many reports the overview shows their totals and the few with most overdue; every
    # report's figures are on the reports page.
    shown = scorecards
    if len(scorecards) > DASHBOARD_SCORECARDS:
        shown = most_late(scorecards, DASHBOARD_SCORECARDS)
    charts = report_progress_charts(as_of, [card.report.pk for card in shown])
    for card in shown:
        card.chart = charts.get(card.report.pk)
    return render(
        request,
        "tracker/home.html",
        {
            "scorecards": shown,
            "totals": totals,
            "all_reports_shown": len(shown) == len(scorecards),
            "overdue": overdue,
            "overdue_total": totals.overdue,
            "late_responses": late_responses,
            "late_responses_total": totals.response_late,
            "latest_updates": latest_updates,
            "freshness": freshness_of(published_by(as_of), as_of),
        },
    )


@takes_query("as_of")
@with_as_of
def report_list(request):
    """Every report with its figures, in one table (the dashboard shows only a few)."""
    as_of: AsOf = request.as_of
    scorecards = report_scorecards(as_of)
    scorecards.sort(key=lambda card: (-card.report.published_on.toordinal(), card.report.slug))
    return render(
        request,
        "tracker/report_list.html",
        {
            "scorecards": scorecards,
            "totals": combined(scorecards),
            "statuses": [(s.value, s.label) for s in STATUS_ORDER],
            "freshness": freshness_of(published_by(as_of), as_of),
        },
    )


# The table's `?per_page=` (django-tables2) is bounded like the API's `page_size`.
MAX_ROWS_PER_PAGE = 200


class RecommendationListView(SingleTableMixin, ExportMixin, FilterView):
    """Every recommendation, filtered, sorted, paginated, and downloadable as shown."""

    table_class = RecommendationTable
    filterset_class = RecommendationFilter
    template_name = "tracker/recommendation_list.html"
    paginate_by = 50
    export_class = SpreadsheetSafeExport
    export_formats = ("csv", "json", "xlsx")

    # The filters' fields, the day, the table's sorting, paging and download.
    accepted_query = frozenset(
        {*RecommendationFilter.base_filters, "as_of", "sort", "page", "per_page", "_export"}
    )

    def dispatch(self, request, *args, **kwargs):
        if (answer := query_answer(request, self.accepted_query)) is not None:
            return answer
        try:
            self.as_of = parse_as_of(request.GET.get("as_of"))
        except InvalidAsOfDate as error:
            return bad_request(request, str(error))
        per_page = request.GET.get("per_page")
        if per_page is not None and not (
            per_page.isascii() and per_page.isdigit() and 1 <= int(per_page) <= MAX_ROWS_PER_PAGE
        ):
            return bad_request(
                request,
                f"“{per_page}” is not a page size: give per_page as a whole number "
                f"from 1 to {MAX_ROWS_PER_PAGE}.",
            )
        request.as_of = self.as_of
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return table_queryset(self.as_of, for_download=bool(self.request.GET.get("_export")))

    def get_paginate_by(self, table_data) -> int:
        # `?per_page=` (checked in `dispatch`) sizes the view's pages as well as the table's, so
        # that every page the table links to exists.
        per_page = self.request.GET.get("per_page")
        return int(per_page) if per_page else self.paginate_by

    def paginate_queryset(self, queryset, page_size):
        # The view's own pagination refuses a page that does not exist (404); its count is
        # handed to the table, which would otherwise count the rows again.
        paginator, page, rows, is_paginated = super().paginate_queryset(queryset, page_size)
        self.row_count = paginator.count
        return paginator, page, rows, is_paginated

    def get_table_data(self):
        return PageQuerysetData(self.object_list, count=getattr(self, "row_count", None))

    def get_table_kwargs(self):
        return {"as_of": self.as_of}

    def get_export_filename(self, export_format: str) -> str:
        """“recommendations-casey-audit-overdue-as-of-2026-12-05.csv”: the filters, then the day."""
        return export_filename(self.request.GET, self.as_of.day, export_format)

    def get_dataset_kwargs(self):
        return {"title": f"As of {self.as_of.day.isoformat()}"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        query.pop("_export", None)
        context["export_links"] = []
        for export_format in self.export_formats:
            query["_export"] = export_format
            context["export_links"].append((export_format.upper(), query.urlencode()))
        return context


recommendation_list = RecommendationListView.as_view()


def _unpaginated_table(request, rows, as_of: AsOf) -> RecommendationTable:
    table = RecommendationTable(rows, as_of=as_of, exclude=("report",))
    RequestConfig(request, paginate=False).configure(table)
    return table


@takes_query("as_of", "sort")
@with_as_of
def report_detail(request, slug: str):
    as_of: AsOf = request.as_of
    report = get_object_or_404(Report.objects.public(), slug=slug)
    if report.published_on > as_of.day:
        raise Http404("This report had not been published on that date.")
    (scorecard,) = report_scorecards(as_of, [report])
    rows = table_queryset(as_of).filter(report=report)
    return render(
        request,
        "tracker/report_detail.html",
        report_page_context(request, report, scorecard, rows, as_of),
    )


def report_page_context(request, report: Report, scorecard, rows, as_of: AsOf) -> dict:
    """The context of `tracker/report_detail.html`; `rows` are the report's rows of the table
    (`table_queryset`, in its order), as a queryset or a list fetched already."""
    return {
        "report": report,
        "scorecard": scorecard,
        "table": _unpaginated_table(request, rows, as_of),
        "chart": report_progress_charts(as_of, [report.pk]).get(report.pk),
        "badge_label": f"the {report.short_name} report",
        "badge_status": scorecard.description
        + (f", as it stood on {as_of.day.day} {as_of.day:%B %Y}" if as_of.is_past else ""),
        "page_description": report.summary or scorecard.description,
        "freshness": freshness_of(Recommendation.objects.filter(report=report), as_of),
    }


@takes_query("as_of")
@with_as_of
def recommendation_detail(request, slug: str, number: int):
    as_of: AsOf = request.as_of
    recommendation = get_object_or_404(
        recommendations_as_of(as_of, accounts=False).select_related("report", "text_source"),
        report__slug=slug,
        number=number,
    )
    if recommendation.report.published_on > as_of.day:
        raise Http404("This report had not been published on that date.")
    (record,) = recommendation_records(as_of, [recommendation])
    return render(request, RECOMMENDATION_PAGE_TEMPLATE, recommendation_page_context(record, as_of))


@takes_query("as_of", "sort")
@with_as_of
def owner_list(request):
    as_of: AsOf = request.as_of
    standing = standings(as_of)
    silent, silent_total = [], 0
    if not as_of.is_past:
        silent_all = Recommendation.objects.public().silent(as_of.day, settings.SILENCE_DAYS)
        silent = list(silent_all.select_related("report")[:SILENT_LIST_LENGTH])
        silent_total = len(silent) if len(silent) < SILENT_LIST_LENGTH else silent_all.count()
    leads = lead_owners([r.pk for r in silent]) if silent else {}
    for recommendation in silent:
        recommendation.lead_owner = leads.get(recommendation.pk)
        recommendation.timeliness_words = describe_timeliness(recommendation, as_of.day)
    query = {k: v for k, v in request.GET.items() if k != "sort"}
    try:
        table = owner_table(owner_records(as_of, standing=standing), request.GET.get("sort"), query)
    except InvalidSort as error:
        return bad_request(request, str(error))
    shown = {column.key for column in table["columns"]}
    return render(
        request,
        "tracker/owner_list.html",
        {
            **table,
            "sorted_by": next((c for c in table["columns"] if c.sorted), None),
            "dropped": [c.heading for c in OWNER_COLUMNS if c.key not in shown],
            "silent": silent,
            "silent_total": silent_total,
            "silence_days": settings.SILENCE_DAYS,
            "freshness": freshness_of(
                published_by(as_of).filter(
                    Exists(Ownership.objects.filter(recommendation=OuterRef("pk")))
                ),
                as_of,
            ),
        },
    )


@takes_query("as_of")
@with_as_of
def owner_detail(request, slug: str):
    as_of: AsOf = request.as_of
    organisation = get_object_or_404(Organisation.objects.public(), slug=slug)
    (record,) = owner_records(as_of, [organisation])
    owned = table_queryset(as_of).filter(
        pk__in=organisation.ownerships.values("recommendation"),
        report__published_on__lte=as_of.day,
    )
    return render(
        request,
        "tracker/owner_detail.html",
        owner_page_context(request, organisation, record, owned, as_of),
    )


def owner_page_context(request, organisation: Organisation, record, rows, as_of: AsOf) -> dict:
    """The context of `tracker/owner_detail.html`; `rows` are the table's rows (`table_queryset`,
    in its order) of what the organisation owns, as a queryset or a list fetched already."""
    headline = {row.pk: row for row in rows}
    owned = owned_recommendations(organisation, as_of)
    for item in owned:
        item.headline = headline.get(item.ownership.recommendation_id)
    return {
        "organisation": organisation,
        "record": record,
        "owned": [item for item in owned if item.headline is not None],
        "page_description": f"{organisation.name}: {record.owned} recommendation"
        f"{'s' if record.owned != 1 else ''} owned, {record.implemented} implemented, "
        f"{record.late} late ({record.overdue} overdue, {record.response_late} without a "
        "response or decision when due).",
        "freshness": freshness_of(
            published_by(as_of).filter(pk__in=organisation.ownerships.values("recommendation")),
            as_of,
        ),
    }


CHANGES_DEFAULT_DAYS = 7
# Nothing the tracker records is older; an earlier `since` (0001-01-01) is refused, not computed.
EARLIEST_SINCE = datetime.date(1900, 1, 1)
# Each section lists the latest this many changes, and says how many there are in all.
CHANGES_SECTION_LENGTH = 50
CHANGE_SECTIONS = [
    ("Status updates", {"update"}),
    ("Responses given", {"response"}),
    ("Deadlines moved", {"deadline_moved"}),
    ("Deadlines missed, as a source says", {"deadline_missed"}),
    ("Deadlines that passed with no report of delivery", {"deadline_overdue"}),
    ("Responses and decisions that became late", {"response_late"}),
    ("Deadlines set, met or dropped", {"deadline_set", "deadline_met", "deadline_withdrawn"}),
    ("Corrections", {"correction"}),
]


def _date_param(request, name: str, default: datetime.date, today: datetime.date):
    """A YYYY-MM-DD query parameter, on or before today; ValueError with a message otherwise."""
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    try:
        day = parse_date(raw)
    except ValueError:
        day = None
    if day is None:
        raise ValueError(f"“{raw}” is not a date. Give it as YYYY-MM-DD.")
    if day > today:
        raise ValueError("The date is in the future: choose one on or before today.")
    if day < EARLIEST_SINCE:
        raise ValueError(f"Choose a date from {EARLIEST_SINCE:%-d %B %Y} to today.")
    return day


@takes_query("view", "since", "until")
def changes(request):
    """What happened (or, with `?view=recorded`, what was recorded) from `since` (default: seven
    days ago) to `until` (default: today)."""
    today = timezone.localdate()
    basis = request.GET.get("view") or Basis.HAPPENED
    if basis not in Basis.values:
        return bad_request(request, "view must be “happened” or “recorded”.")
    try:
        since = _date_param(
            request, "since", today - datetime.timedelta(days=CHANGES_DEFAULT_DAYS), today
        )
        until = _date_param(request, "until", today, today)
    except ValueError as error:
        return bad_request(request, str(error))
    if until < since:
        return bad_request(request, "The end of the period comes before its start.")
    found = latest_changes(since, until, CHANGES_SECTION_LENGTH, basis)
    sections = []
    for heading, kinds in CHANGE_SECTIONS:
        items = found.merged(kinds)[:CHANGES_SECTION_LENGTH]
        sections.append((heading, items, sum(found.counts[kind] for kind in kinds)))
    return render(
        request,
        "tracker/changes.html",
        {
            "since": since,
            "until": until,
            "until_is_today": until == today,
            "today": today,
            "basis": basis,
            "is_recorded_view": basis == Basis.RECORDED,
            "total": found.total,
            "initial_loads": found.initial_loads,
            "initial_load_total": found.initial_load_total,
            "sections": sections,
        },
    )


COMPARE_DEFAULT_DAYS = 30


@takes_query("from", "to", "format")
def compare_days(request):
    """How things stood on two days and what moved between them (`?from=&to=`); `?format=csv`
    downloads it."""
    today = timezone.localdate()
    try:
        second = _date_param(request, "to", today, today)
        first = _date_param(
            request, "from", second - datetime.timedelta(days=COMPARE_DEFAULT_DAYS), today
        )
    except ValueError as error:
        return bad_request(request, str(error))
    if second < first:
        return bad_request(request, "The second date comes before the first: swap them.")
    export = request.GET.get("format", "")
    if export not in ("", "csv"):
        return bad_request(request, "format must be “csv” or left out.")
    comparison = compare(first, second, today)
    if export == "csv":
        response = HttpResponse(comparison_csv(comparison), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="compare-{first.isoformat()}-{second.isoformat()}.csv"'
        )
        return response
    return render(
        request,
        "tracker/compare.html",
        {"comparison": comparison, "today": today, "second_is_today": second == today},
    )


@takes_query()
def data(request):
    return render(
        request,
        "tracker/data.html",
        {
            "status_choices": [(s.value, s.label) for s in STATUS_ORDER],
            "response_choices": ResponseKind.choices,
            "updates_feed_length": feeds.FEED_LENGTH,
            "changes_feed_length": feeds.CHANGES_FEED_LENGTH,
            "changes_feed_days": feeds.DEFAULT_CHANGE_DAYS,
            "reports": Report.objects.public().only("slug", "short_name", "title"),
            "latest_publication": StatusUpdate.objects.public()
            .order_by("-published_at")
            .values_list("published_at", flat=True)
            .first(),
        },
    )


@takes_query("q")
def search(request):
    """The site search: reports, recommendations, owners and updates, grouped and ranked."""
    raw = request.GET.get("q", "")
    try:
        query = clean_query(raw)
    except InvalidSearch as error:
        context = {"query": raw[:MAX_QUERY_LENGTH], "error": str(error), "results": None}
        return render(request, "tracker/search.html", context, status=400)
    context = {"query": query, "search_query": query, "results": site_search(query), "error": ""}
    return render(request, "tracker/search.html", context)
