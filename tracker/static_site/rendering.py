"""Rendering pages as the live site answers an anonymous reader: through the real views, or in
bulk for the many files made of rows fetched together (recommendations, the table's pages,
the calendars), by the same context functions and templates."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import DisallowedHost
from django.http import Http404
from django.template.loader import render_to_string
from django.template.response import SimpleTemplateResponse
from django.test import RequestFactory
from django.urls import resolve

from tracker.as_of import AsOf, recommendations_as_of
from tracker.models import (
    Organisation,
    Report,
)
from tracker.public.badges import badge_svg, recommendation_status_badge
from tracker.public.calendar import (
    calendar_ical,
    event_ical,
    open_deadlines,
    report_calendar_name,
    response_clocks,
    response_event_ical,
    site_calendar_name,
)
from tracker.public.facts import (
    RECOMMENDATION_PAGE_TEMPLATE,
    recommendation_page_context,
    recommendation_records,
)
from tracker.public.feeds import recommendation_feed_body
from tracker.public.scorecards import owner_records, report_scorecards
from tracker.public.tables import table_queryset
from tracker.public.views import RecommendationListView, owner_page_context, report_page_context
from tracker.static_site.folders import BuildError
from tracker.static_site.plan import SitePlan, recommendation_urls


class Renderer:
    """Calls the real views with a plain GET, as the live site would answer an anonymous reader.

    The views are called directly rather than through the middleware: middleware only adds
    headers (security, CSP) or serves caches and sessions, none of which belongs in a file, and
    skipping it keeps 30,000 pages from filling the page cache."""

    def __init__(self):
        site = urlsplit(settings.SITE_URL)
        self.secure = site.scheme == "https"
        self.factory = RequestFactory(HTTP_HOST=site.netloc or "localhost")

    def request(self, url: str):
        request = self.factory.get(url, secure=self.secure)
        request.user = AnonymousUser()
        return request

    def render(self, url: str) -> bytes:
        request = self.request(url)
        try:
            match = resolve(request.path_info)
            request.resolver_match = match
            response = match.func(request, *match.args, **match.kwargs)
        except Http404 as error:
            raise BuildError(f"{url} was not found: {error}") from error
        except DisallowedHost as error:
            raise BuildError(
                f"The host of SITE_URL ({settings.SITE_URL}) must be in DJANGO_ALLOWED_HOSTS."
            ) from error
        return self.respond(url, response)

    @staticmethod
    def respond(url: str, response) -> bytes:
        if isinstance(response, SimpleTemplateResponse):
            response.render()
        if response.status_code != 200:
            raise BuildError(f"{url} answered {response.status_code}, not 200.")
        if response.streaming:
            return b"".join(response.streaming_content)
        return response.content

    def render_recommendations(self, ids: list[int], today: datetime.date):
        """Yield (url, content) for the page, feed and badge of each of these recommendations,
        fetched together in a constant number of queries and rendered by the same functions and
        templates as the live views (`recommendation_detail`, `RecommendationUpdatesFeed`,
        `recommendation_badge`) for today."""
        as_of = AsOf(day=today, today=today)
        recommendations = list(
            recommendations_as_of(as_of, accounts=False)
            .select_related("report")
            .filter(pk__in=ids)
            .order_by("pk")
        )
        if len(recommendations) != len(set(ids)):
            missing = set(ids) - {recommendation.pk for recommendation in recommendations}
            raise BuildError(f"Recommendation(s) {sorted(missing)} were not found.")
        for record in recommendation_records(as_of, recommendations):
            recommendation = record.recommendation
            page, feed, badge = recommendation_urls(
                recommendation.report.slug, recommendation.number
            )
            if recommendation.report.published_on > today:
                raise BuildError(
                    f"{page} was not found: This report had not been published on that date."
                )
            request = self.request(page)
            request.as_of = as_of
            context = recommendation_page_context(record, as_of)
            yield page, render_to_string(RECOMMENDATION_PAGE_TEMPLATE, context, request).encode()
            yield feed, recommendation_feed_body(recommendation, record.updates, self.request(feed))
            yield badge, badge_svg(recommendation_status_badge(recommendation, today)).encode()


class _ListWithRows(RecommendationListView):
    """The table's view, given its rows fetched already: all of them, or one report's."""

    rows: list | None = None
    rows_by_report: dict[str, list] | None = None

    def get_table_data(self):
        asked = {key for key in self.request.GET if key not in ("page", "_export")}
        if not asked and self.rows is not None:
            return self.rows
        if asked == {"report"} and self.rows_by_report is not None:
            return self.rows_by_report[self.request.GET["report"]]
        return super().get_table_data()

    def paginate_queryset(self, queryset, page_size):
        """The same pages, counted from the rows given rather than by the database."""
        rows = self.get_table_data()
        return super().paginate_queryset(rows if isinstance(rows, list) else queryset, page_size)


class TablePages:
    """The pages and files made of the table's rows: report and owner pages, the table's own
    pages and the reports' downloads. The rows they show are fetched once (`table_queryset`, which
    their views filter), the reports' scorecards and the owners' records computed once, and each
    page is made by the context function and template of its view (`report_page_context`,
    `owner_page_context`, `RecommendationListView`)."""

    # The table's pages need every row: for a few of them (an incremental build), the view is
    # cheaper than fetching them all.
    MIN_LIST_PAGES = 10

    def __init__(self, urls: Iterable[str], plan: SitePlan, renderer: Renderer):
        self.plan = plan
        self.renderer = renderer
        self.as_of = AsOf(day=plan.today, today=plan.today)
        self.kinds: dict[str, tuple[str, str | None]] = {}
        for url in urls:
            path, _, query = url.partition("?")
            params = dict(parse_qsl(query))
            parts = path.split("/")  # "/reports/<slug>/" -> ["", "reports", "<slug>", ""]
            is_page = len(parts) == 4 and parts[2] and not parts[3] and not query
            if is_page and parts[1] in ("reports", "owners"):
                kind = "report_detail" if parts[1] == "reports" else "owner_detail"
                self.kinds[url] = (kind, parts[2])
            elif path == "/recommendations/" and set(params) <= {"page"}:
                self.kinds[url] = ("list", None)
            elif path == "/recommendations/" and set(params) == {"report", "_export"}:
                self.kinds[url] = ("list", params["report"])
        lists = [url for url, (kind, slug) in self.kinds.items() if kind == "list" and not slug]
        if len(lists) < self.MIN_LIST_PAGES:
            for url in lists:
                del self.kinds[url]
        self._fetched = False

    def handles(self, url: str) -> bool:
        return url in self.kinds

    def _fetch(self) -> None:
        """Everything the pages asked for show, in a few queries."""
        kinds = set(self.kinds.values())
        every_row = ("list", None) in kinds
        reports = {slug for kind, slug in kinds if kind in ("report_detail", "list") and slug}
        owners = {slug for kind, slug in kinds if kind == "owner_detail"}
        needed = {
            pk
            for pk, entry in self.plan.recommendations.items()
            if entry.report in reports or owners.intersection(entry.owners)
        }
        rows = table_queryset(self.as_of, for_download=True)
        if not every_row:
            rows = rows.filter(pk__in=needed)
        self.rows = list(rows)
        self.rows_by_report: dict[str, list] = defaultdict(list)
        self.rows_by_owner: dict[str, list] = defaultdict(list)
        for row in self.rows:
            self.rows_by_report[row.report.slug].append(row)
            if row.report.published_on <= self.as_of.day:
                # (A recommendation added since the plan was made waits for the next build.)
                entry = self.plan.recommendations.get(row.pk)
                for owner in entry.owners if entry else []:
                    self.rows_by_owner[owner].append(row)
        report_pages = [slug for kind, slug in kinds if kind == "report_detail"]
        self.reports = {r.slug: r for r in Report.objects.public().filter(slug__in=report_pages)}
        published = [r for r in self.reports.values() if r.published_on <= self.as_of.day]
        self.scorecards = (
            {card.report.slug: card for card in report_scorecards(self.as_of, published)}
            if published
            else {}
        )
        self.organisations = {
            o.slug: o for o in Organisation.objects.public().filter(slug__in=owners)
        }
        self.owner_records = (
            {
                record.organisation.slug: record
                for record in owner_records(self.as_of, list(self.organisations.values()))
            }
            if owners
            else {}
        )
        self.list_view = _ListWithRows.as_view(
            rows=self.rows if every_row else None, rows_by_report=self.rows_by_report
        )
        self._fetched = True

    def render(self, url: str) -> bytes:
        if not self._fetched:
            self._fetch()
        kind, slug = self.kinds[url]
        request = self.renderer.request(url)
        request.as_of = self.as_of
        if kind == "list":
            return self.renderer.respond(url, self.list_view(request))
        if kind == "report_detail":
            report = self.reports.get(slug)
            if report is None or report.published_on > self.as_of.day:
                raise BuildError(f"{url} was not found.")
            context = report_page_context(
                request, report, self.scorecards[slug], self.rows_by_report[slug], self.as_of
            )
            return render_to_string("tracker/report_detail.html", context, request).encode()
        organisation = self.organisations.get(slug)
        if organisation is None:
            raise BuildError(f"{url} was not found.")
        context = owner_page_context(
            request,
            organisation,
            self.owner_records[slug],
            self.rows_by_owner[slug],
            self.as_of,
        )
        return render_to_string("tracker/owner_detail.html", context, request).encode()


class Calendars:
    """The whole site's calendar and each report's: every open deadline's and response clock's
    event is written once (`event_ical`, `response_event_ical`) and each calendar is put together
    from the events it holds, as
    `deadlines_calendar` and `report_deadlines_calendar` would write it."""

    SITE = "/deadlines.ics"

    def __init__(self, urls: Iterable[str], plan: SitePlan, renderer: Renderer):
        self.as_of = plan.today
        self.renderer = renderer
        self.slugs = {url: self.report_of(url) for url in urls if self.takes(url)}
        self._events: list[bytes] | None = None

    @classmethod
    def takes(cls, url: str) -> bool:
        return url == cls.SITE or (
            url.startswith("/reports/") and url.endswith("/deadlines.ics") and url.count("/") == 3
        )

    @classmethod
    def report_of(cls, url: str) -> str | None:
        return None if url == cls.SITE else url.split("/")[2]

    def handles(self, url: str) -> bool:
        return url in self.slugs

    def _fetch(self) -> None:
        deadlines = open_deadlines(self.as_of)
        clocks = response_clocks()
        if self.SITE not in self.slugs:
            deadlines = deadlines.filter(recommendation__report__slug__in=self.slugs.values())
            clocks = clocks.filter(report__slug__in=self.slugs.values())
        request = self.renderer.request(self.SITE)
        # The deadlines' events, then the response clocks', as `build_calendar` orders them.
        self._events = []
        self.by_report: dict[str, list[bytes]] = defaultdict(list)
        for deadline in deadlines:
            event = event_ical(deadline, request, self.as_of)
            self._events.append(event)
            self.by_report[deadline.recommendation.report.slug].append(event)
        for recommendation in clocks:
            event = response_event_ical(recommendation, request, self.as_of)
            self._events.append(event)
            self.by_report[recommendation.report.slug].append(event)
        self.reports = {
            report.slug: report
            for report in Report.objects.public().filter(slug__in=self.slugs.values())
        }

    def render(self, url: str) -> bytes:
        if self._events is None:
            self._fetch()
        slug = self.slugs[url]
        if slug is None:
            return calendar_ical(site_calendar_name(), self._events, self.as_of)
        report = self.reports.get(slug)
        if report is None:
            raise BuildError(f"{url} was not found.")
        return calendar_ical(report_calendar_name(report), self.by_report[slug], self.as_of)
