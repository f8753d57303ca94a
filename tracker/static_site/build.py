"""The published view: the public pages, feeds and downloads written out as plain files.

A build renders every public page through the real URL configuration, views and templates (so
each page is what the live site sends an anonymous reader), then rewrites links so that every
internal link names a file in the build:

- `?page=N` on the table becomes `/recommendations/page/N/`; `?_export=csv|json` becomes
  `/recommendations.csv` (or, with `report=`, `/reports/<slug>/recommendations.csv`); XLSX is
  left to the live site;
- links that only a live server can answer (sorting, filters, `?as_of=`, subscriptions, the API)
  are replaced by their text, and the GET forms (filters) by a note;
- the project's own static files are copied under `/static/`.

Each build is a new folder beside the published path, `<name>.<timestamp>`; the published path is
a symbolic link that is switched to the new folder with one atomic rename, so a reader sees the
old site or the new one, never a mix. The previous build is kept (a reader who started on it can
finish); older ones are removed. A web server's root must point at the symbolic link.

An incremental build hard-links the current build's files into a new folder and re-renders only
the files that show a changed recommendation: its page, feed and badge, its report's files, its
owners' pages, the table pages it is listed on, and the site-wide pages, feeds and downloads
(the calendars only when deadlines changed). A recommendation has changed when its fingerprint
(its own row, its published updates, deadlines, responses and owners) differs from the one
recorded in the build's manifest. A new day, a new or removed report, organisation or
recommendation, or a build from another database means a full build; so does the daily job,
which also picks up renamed organisations and reports.

Every file is what the live site sends for its address, made by the same functions and templates,
but the many files are made in bulk: recommendations' pages, feeds and badges a batch at a time
from rows fetched together (`recommendation_records`), the report, owner and table pages and the
reports' downloads from the table's rows fetched once (`TablePages`), and the calendars from
events written once (`Calendars`). A test compares every file of a build with the live response.

`jobs` > 1 renders in that many forked processes (each with its own database connection), which
take the pieces of work from a shared queue, the slowest first. An incremental build renders the
changed files while the previous build is being hard-linked, and moves them in after. Builds
older than the previous one are renamed out of sight and deleted in the background.
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import html
import json
import logging
import multiprocessing
import os
import re
import shutil
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import connection, connections
from django.db.models import Count, Max
from django.http import Http404
from django.template.loader import render_to_string
from django.template.response import SimpleTemplateResponse
from django.test import RequestFactory
from django.urls import resolve
from django.utils import timezone

from tracker.as_of import AsOf, recommendations_as_of
from tracker.models import (
    Deadline,
    Organisation,
    Ownership,
    Recommendation,
    Report,
    Response,
    StatusUpdate,
)
from tracker.public.badges import badge_svg, recommendation_status_badge
from tracker.public.calendar import (
    calendar_ical,
    event_ical,
    open_deadlines,
    report_calendar_name,
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

logger = logging.getLogger(__name__)

MANIFEST_NAME = "publish-manifest.json"
MANIFEST_VERSION = 1
SLOW_PAGE_SECONDS = 1.0  # pages slower than this are logged, to show where a build spends time
BUILD_STAMP = re.compile(r"^\d{8}T\d{6}\.\d{6}(-\d+)?$")
# XLSX is left out: it is the slowest to write and adds nothing CSV does not hold.
DOWNLOAD_FORMATS = ("csv", "json")
# The whole table's downloads are joined from the reports' own (the same rows, in the same order),
# so a change re-renders one report's rows, not every row of every report.
SITE_DOWNLOADS = [f"/recommendations/?_export={fmt}" for fmt in DOWNLOAD_FORMATS]
STATIC_NOTE = (
    '<p class="note">This is a published copy of the tracker: it cannot filter or search. '
    'Every recommendation is listed on <a href="/recommendations/">All recommendations</a>, '
    'and the <a href="/data/">open data</a> downloads hold them all.</p>'
)
# Pages that show every recommendation, or the latest updates: rebuilt after any change. Slowest
# first (at 10,000 recommendations): a build starts them in this order.
SITE_WIDE_URLS = [
    "/changes.atom",
    "/owners/",
    "/changes/",
    "/",
    "/reports/",
    "/data/",
    "/updates.atom",
]
# Shown only where deadlines changed (a status update alone leaves them as they were).
SITE_WIDE_CALENDARS = ["/deadlines.ics"]
UNCHANGING_URLS = ["/methodology/"]
RECOMMENDATION_BATCH = 200  # recommendations fetched and rendered together
PUBLISH_REQUEST_KEY = "tracker:publish-site:latest-request"
PUBLISH_FIRST_REQUEST_KEY = "tracker:publish-site:first-request"


class PublishError(Exception):
    """The site cannot be published as asked; nothing was changed."""


@dataclass
class PublishResult:
    build: Path | None
    kind: str  # "full", "incremental" or "unchanged"
    files_written: int
    seconds: float
    changed: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        if self.kind == "unchanged":
            return f"Nothing has changed since the last build; kept {self.build}."
        what = (
            f"{len(self.changed)} changed recommendation(s), " if self.kind == "incremental" else ""
        )
        return (
            f"{self.kind.capitalize()} build: {what}{self.files_written} file(s) written "
            f"in {self.seconds:.1f} s into {self.build}."
        )


# --- What the site holds -------------------------------------------------------------------------


def file_for(url: str) -> str:
    """The file (relative to the build) that holds a page: `/a/b/` -> `a/b/index.html`."""
    path, _, query = url.partition("?")
    params = dict(parse_qsl(query))
    if path == "/recommendations/" and "_export" in params:
        if "report" in params:
            return f"reports/{params['report']}/recommendations.{params['_export']}"
        return f"recommendations.{params['_export']}"
    if path == "/recommendations/" and "page" in params:
        return f"recommendations/page/{params['page']}/index.html"
    path = path.lstrip("/")
    return f"{path}index.html" if path == "" or path.endswith("/") else path


def public_path(file: str) -> str:
    return "/" + (file[: -len("index.html")] if file.endswith("index.html") else file)


def normalise(url: str) -> str:
    """Path and sorted query, so `?b=1&a=2` and `?a=2&b=1` name the same page."""
    if "?" not in url and "#" not in url:
        return url
    parts = urlsplit(url)
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    if parts.path == "/recommendations/" and query == [("page", "1")]:
        query = []
    return parts.path + ("?" + urlencode(query) if query else "")


@dataclass
class SitePlan:
    """Every URL a build renders, and which recommendation shows on which files."""

    today: datetime.date
    reports: dict[int, str]  # pk -> slug
    organisations: dict[int, str]  # pk -> slug
    recommendations: dict[int, tuple[str, int, list[str], int]]  # pk -> slug, number, owners, page

    @classmethod
    def from_database(cls, today: datetime.date) -> SitePlan:
        owners: dict[int, list[str]] = defaultdict(list)
        for recommendation_id, slug in Ownership.objects.values_list(
            "recommendation_id", "organisation__slug"
        ).order_by("organisation__slug"):
            owners[recommendation_id].append(slug)
        per_page = RecommendationListView.paginate_by
        order = table_queryset(AsOf(day=today, today=today)).values_list(
            "pk", "report__slug", "number"
        )
        return cls(
            today=today,
            reports=dict(Report.objects.values_list("pk", "slug")),
            organisations=dict(Organisation.objects.values_list("pk", "slug")),
            recommendations={
                pk: (slug, number, owners[pk], position // per_page + 1)
                for position, (pk, slug, number) in enumerate(order)
            },
        )

    @property
    def list_pages(self) -> int:
        return max((entry[3] for entry in self.recommendations.values()), default=1)

    def same_shape_as(self, other: SitePlan) -> bool:
        return (
            self.reports == other.reports
            and self.organisations == other.organisations
            and {pk: entry[:2] + entry[3:] for pk, entry in self.recommendations.items()}
            == {pk: entry[:2] + entry[3:] for pk, entry in other.recommendations.items()}
        )

    def all_urls(self) -> list[str]:
        urls = [
            *SITE_WIDE_URLS,
            *SITE_WIDE_CALENDARS,
            *UNCHANGING_URLS,
            *self.list_page_urls(range(1, self.list_pages + 1)),
        ]
        urls += [url for slug in self.reports.values() for url in report_urls(slug)]
        urls += [f"/reports/{slug}/deadlines.ics" for slug in self.reports.values()]
        urls += [f"/owners/{slug}/" for slug in self.organisations.values()]
        for slug, number, _owners, _page in self.recommendations.values():
            urls += recommendation_urls(slug, number)
        return urls

    def urls_showing(
        self, changed: Iterable[int], deadlines_changed: Iterable[int], previous: SitePlan
    ) -> list[str]:
        """The files that show any of these recommendations, before or after the change; the
        calendars only for recommendations whose deadlines changed."""
        urls = list(SITE_WIDE_URLS)
        reports, owners, pages = set(), set(), set()
        for plan in (previous, self):
            for pk in changed:
                if pk not in plan.recommendations:
                    continue
                slug, number, owned_by, page = plan.recommendations[pk]
                urls += recommendation_urls(slug, number)
                reports.add(slug)
                owners.update(owned_by)
                pages.add(page)
        calendars = {self.recommendations[pk][0] for pk in deadlines_changed}
        urls += self.list_page_urls(sorted(pages))
        urls += [url for slug in sorted(reports) for url in report_urls(slug)]
        if calendars:
            urls += SITE_WIDE_CALENDARS
            urls += [f"/reports/{slug}/deadlines.ics" for slug in sorted(calendars)]
        urls += [f"/owners/{slug}/" for slug in sorted(owners)]
        return list(dict.fromkeys(urls))

    @staticmethod
    def list_page_urls(pages: Iterable[int]) -> list[str]:
        return [
            "/recommendations/" if page == 1 else f"/recommendations/?page={page}" for page in pages
        ]

    def to_json(self) -> dict:
        return {
            "today": self.today.isoformat(),
            "reports": self.reports,
            "organisations": self.organisations,
            "recommendations": self.recommendations,
        }

    @classmethod
    def from_json(cls, data: dict) -> SitePlan:
        return cls(
            today=datetime.date.fromisoformat(data["today"]),
            reports={int(k): v for k, v in data["reports"].items()},
            organisations={int(k): v for k, v in data["organisations"].items()},
            recommendations={
                int(k): (v[0], v[1], list(v[2]), v[3]) for k, v in data["recommendations"].items()
            },
        )


def report_urls(slug: str) -> list[str]:
    return [
        f"/reports/{slug}/",
        f"/reports/{slug}/updates.atom",
        f"/reports/{slug}/badge.svg",
        *(f"/recommendations/?report={slug}&_export={fmt}" for fmt in DOWNLOAD_FORMATS),
    ]


def recommendation_urls(slug: str, number: int) -> list[str]:
    base = f"/reports/{slug}/{number}/"
    return [base, f"{base}updates.atom", f"{base}badge.svg"]


def fingerprints() -> dict[int, str]:
    """A digest per recommendation of everything its own page shows that editors can change, as
    `<everything but deadlines>:<deadlines>`, so a change to the calendars can be told apart.
    One grouped query per table: each reads its table once, whatever the number of rows."""

    def per_recommendation(queryset, stamp: str = "updated_at") -> dict[int, tuple]:
        rows = queryset.order_by().values("recommendation").annotate(n=Count("pk"), at=Max(stamp))
        return {row["recommendation"]: (row["n"], row["at"]) for row in rows}

    ledger = [
        per_recommendation(StatusUpdate.objects.published(), stamp="published_at"),
        per_recommendation(Response.objects.all()),
        per_recommendation(Ownership.objects.all()),
    ]
    deadlines = per_recommendation(Deadline.objects.all())

    def digest(values) -> str:
        return hashlib.sha256(repr(values).encode()).hexdigest()[:12]

    def fingerprint(pk: int, updated_at) -> str:
        others = digest((updated_at, *(part.get(pk) for part in ledger)))
        return f"{others}:{digest(deadlines.get(pk))}"

    own_rows = Recommendation.objects.order_by().values_list("pk", "updated_at")
    return {pk: fingerprint(pk, updated_at) for pk, updated_at in own_rows}


# --- Rendering and links -------------------------------------------------------------------------


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
            raise PublishError(f"{url} was not found: {error}") from error
        except DisallowedHost as error:
            raise PublishError(
                f"The host of SITE_URL ({settings.SITE_URL}) must be in DJANGO_ALLOWED_HOSTS."
            ) from error
        return self.respond(url, response)

    @staticmethod
    def respond(url: str, response) -> bytes:
        if isinstance(response, SimpleTemplateResponse):
            response.render()
        if response.status_code != 200:
            raise PublishError(f"{url} answered {response.status_code}, not 200.")
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
            recommendations_as_of(as_of).select_related("report").filter(pk__in=ids).order_by("pk")
        )
        if len(recommendations) != len(set(ids)):
            missing = set(ids) - {recommendation.pk for recommendation in recommendations}
            raise PublishError(f"Recommendation(s) {sorted(missing)} were not found.")
        for record in recommendation_records(as_of, recommendations):
            recommendation = record.recommendation
            page, feed, badge = recommendation_urls(
                recommendation.report.slug, recommendation.number
            )
            if recommendation.report.published_on > today:
                raise PublishError(
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
            for pk, (report, _number, owned_by, _page) in self.plan.recommendations.items()
            if report in reports or owners.intersection(owned_by)
        }
        rows = table_queryset(self.as_of)
        if not every_row:
            rows = rows.filter(pk__in=needed)
        self.rows = list(rows)
        self.rows_by_report: dict[str, list] = defaultdict(list)
        self.rows_by_owner: dict[str, list] = defaultdict(list)
        for row in self.rows:
            self.rows_by_report[row.report.slug].append(row)
            if row.report.published_on <= self.as_of.day:
                # (A recommendation added since the plan was made waits for the next build.)
                for owner in self.plan.recommendations.get(row.pk, ("", 0, [], 0))[2]:
                    self.rows_by_owner[owner].append(row)
        report_pages = [slug for kind, slug in kinds if kind == "report_detail"]
        self.reports = {r.slug: r for r in Report.objects.filter(slug__in=report_pages)}
        published = [r for r in self.reports.values() if r.published_on <= self.as_of.day]
        self.scorecards = (
            {card.report.slug: card for card in report_scorecards(self.as_of, published)}
            if published
            else {}
        )
        self.organisations = {o.slug: o for o in Organisation.objects.filter(slug__in=owners)}
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
                raise PublishError(f"{url} was not found.")
            context = report_page_context(
                request, report, self.scorecards[slug], self.rows_by_report[slug], self.as_of
            )
            return render_to_string("tracker/report_detail.html", context, request).encode()
        organisation = self.organisations.get(slug)
        if organisation is None:
            raise PublishError(f"{url} was not found.")
        context = owner_page_context(
            request,
            organisation,
            self.owner_records[slug],
            self.rows_by_owner[slug],
            self.as_of,
        )
        return render_to_string("tracker/owner_detail.html", context, request).encode()


class Calendars:
    """The whole site's calendar and each report's: every open deadline's event is written once
    (`event_ical`) and each calendar is put together from the events it holds, as
    `deadlines_calendar` and `report_deadlines_calendar` would write it."""

    SITE = "/deadlines.ics"

    def __init__(self, urls: Iterable[str], plan: SitePlan, renderer: Renderer):
        self.as_of = plan.today
        self.renderer = renderer
        self.slugs = {url: self.report_of(url) for url in urls if self.takes(url)}
        self._events: dict[int, bytes] | None = None

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
        if self.SITE not in self.slugs:
            deadlines = deadlines.filter(recommendation__report__slug__in=self.slugs.values())
        request = self.renderer.request(self.SITE)
        self.deadlines = list(deadlines)
        self._events = {d.pk: event_ical(d, request, self.as_of) for d in self.deadlines}
        self.by_report: dict[str, list[bytes]] = defaultdict(list)
        for deadline in self.deadlines:
            self.by_report[deadline.recommendation.report.slug].append(self._events[deadline.pk])
        self.reports = {
            report.slug: report for report in Report.objects.filter(slug__in=self.slugs.values())
        }

    def render(self, url: str) -> bytes:
        if self._events is None:
            self._fetch()
        slug = self.slugs[url]
        if slug is None:
            events = [self._events[deadline.pk] for deadline in self.deadlines]
            return calendar_ical(site_calendar_name(), events, self.as_of)
        report = self.reports.get(slug)
        if report is None:
            raise PublishError(f"{url} was not found.")
        return calendar_ical(report_calendar_name(report), self.by_report[slug], self.as_of)


ANCHOR = re.compile(r"<a\b([^>]*?)\bhref=\"([^\"]*)\"([^>]*)>(.*?)</a>", re.DOTALL)
OTHER_LINK = re.compile(r"<(?:link|img|script|source)\b[^>]*?\b(?:href|src)=\"([^\"]*)\"[^>]*>")
GET_FORM = re.compile(r"<form\b[^>]*method=\"get\"[^>]*>.*?</form>", re.DOTALL)
# Pages only the live site can answer, linked to there from a static copy: e-mail subscriptions
# and the site search (the header's search box posts to the live site's search).
LIVE_ONLY_PATH = re.compile(r"^/(?:search/$|(?:reports|owners)/.*subscribe/$)")
SITE_SEARCH_FORM = 'class="site-search"'


class LinkRewriter:
    """Points every internal link at a file in the build, or drops it."""

    def __init__(self, urls: Iterable[str], static_paths: Iterable[str]):
        self.targets = {normalise(url): public_path(file_for(url)) for url in urls}
        self.targets.update({path: path for path in static_paths})

    def target(self, page_url: str, href: str) -> str | None:
        """The address to keep, or None when the link cannot work in a static copy."""
        raw = html.unescape(href)
        parts = urlsplit(raw)
        if parts.scheme or parts.netloc or raw.startswith("#") or raw == "":
            return href  # another site, an e-mail address, or a place on this page
        resolved = urlsplit(urljoin(page_url, raw))
        found = self.targets.get(normalise(resolved._replace(fragment="").geturl()))
        if found is None and LIVE_ONLY_PATH.match(resolved.path):
            return html.escape(settings.SITE_URL + resolved._replace(fragment="").geturl())
        if found is None:
            return None
        return html.escape(found + (f"#{resolved.fragment}" if resolved.fragment else ""))

    def rewrite(self, page_url: str, text: str) -> str:
        def form(match: re.Match) -> str:
            found = match.group(0)
            if SITE_SEARCH_FORM not in found:
                return STATIC_NOTE
            return found.replace(
                'action="/search/"', f'action="{html.escape(settings.SITE_URL)}/search/"', 1
            )

        text = GET_FORM.sub(form, text)

        def anchor(match: re.Match) -> str:
            before, href, after, inner = match.groups()
            target = self.target(page_url, href)
            if target is None:
                return inner
            return f'<a{before}href="{target}"{after}>{inner}</a>'

        def other(match: re.Match) -> str:
            target = self.target(page_url, match.group(1))
            if target is None:
                return ""
            return match.group(0).replace(f'"{match.group(1)}"', f'"{target}"', 1)

        return OTHER_LINK.sub(other, ANCHOR.sub(anchor, text))


def static_files() -> dict[str, str]:
    """The project's own static files (`STATICFILES_DIRS`): public path -> file on disk."""
    return {
        settings.STATIC_URL + relative.replace(os.sep, "/"): storage.path(relative)
        for relative, storage in finders.FileSystemFinder().list([])
    }


def write_pages(
    build: Path, urls: Iterable[str], rewriter: LinkRewriter, plan: SitePlan, jobs: int = 1
) -> int:
    """Render and write each URL; with `jobs` > 1, in that many forked processes, each taking
    the next piece of work from a shared queue until none is left.

    Recommendations' pages, feeds and badges are rendered in batches (see
    `Renderer.render_recommendations`), the pages made of the table's rows from rows fetched
    once (`TablePages`), the calendars from events written once (`Calendars`); every other URL
    through its view."""
    urls = list(dict.fromkeys(urls))
    units = work_units(urls, plan)
    # A site-wide page takes as long as many small ones: worth a process of its own.
    weight = len(urls) + settings.PUBLISH_MIN_PAGES_PER_PROCESS * len(
        set(urls).intersection(SITE_WIDE_URLS)
    )
    jobs = min(jobs, len(units), max(1, weight // settings.PUBLISH_MIN_PAGES_PER_PROCESS))
    if jobs <= 1 or not can_fork():
        _write_share(build, units, range(len(units)), rewriter, plan, urls)
        return len(urls)
    # The queue: a counter in shared memory; each process claims the next unit until none is left.
    claimed = multiprocessing.Value("Q", 0)
    connections.close_all()  # each process opens its own database connection
    children = []
    try:
        for _ in range(1, jobs):
            reader, writer = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: work through the queue, report any error, and exit
                os.close(reader)
                code = 0
                try:
                    _write_share(build, units, _claims(claimed, len(units)), rewriter, plan, urls)
                except BaseException as error:  # reported to the parent, which raises
                    os.write(writer, str(error).encode()[:4000] or b"failed")
                    code = 1
                finally:
                    os._exit(code)
            os.close(writer)
            children.append((pid, reader))
        _write_share(build, units, _claims(claimed, len(units)), rewriter, plan, urls)
    finally:
        with claimed.get_lock():  # nothing more is claimed: the others stop after an error here
            claimed.value = len(units)
        errors = []
        for pid, reader in children:
            with os.fdopen(reader, "rb") as pipe:
                message = pipe.read().decode()
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                errors.append(message or f"a build process ended with status {status}")
    if errors:
        raise PublishError("; ".join(errors))
    return len(urls)


def _claims(claimed, total: int) -> Iterator[int]:
    """The indexes of the units this process claims, one at a time, until all are claimed."""
    while True:
        with claimed.get_lock():
            index = claimed.value
            claimed.value = min(index + 1, total)
        if index >= total:
            return
        yield index


Unit = str | list[int] | tuple[str, ...]


def work_units(urls: list[str], plan: SitePlan) -> list[Unit]:
    """The pieces of work, the longest first so that the processes finish together: a URL to
    render on its own, a batch of recommendations' ids (their pages, feeds and badges), or a
    group of URLs rendered by one process (the calendars, which share their events)."""
    by_url = {
        url: pk
        for pk, (slug, number, _owners, _page) in plan.recommendations.items()
        for url in recommendation_urls(slug, number)
    }
    ids = list(dict.fromkeys(by_url[url] for url in urls if url in by_url))
    batches: list[Unit] = [
        ids[start : start + RECOMMENDATION_BATCH]
        for start in range(0, len(ids), RECOMMENDATION_BATCH)
    ]
    calendars = tuple(url for url in urls if Calendars.takes(url))
    site_wide = sorted((url for url in urls if url in SITE_WIDE_URLS), key=SITE_WIDE_URLS.index)
    others = [
        url
        for url in urls
        if url not in by_url and url not in site_wide and not Calendars.takes(url)
    ]
    return [*([calendars] if calendars else []), *site_wide, *batches, *others]


def can_fork() -> bool:
    """Forked processes read the database through their own connections: not possible inside a
    transaction (they would not see its rows) or with an in-memory SQLite database (tests). Nor
    while other threads run: a forked child can deadlock on a lock one of them held."""
    name = str(connection.settings_dict["NAME"])
    in_memory = connection.vendor == "sqlite" and (":memory:" in name or "mode=memory" in name)
    return (
        hasattr(os, "fork")
        and threading.active_count() == 1
        and not connection.in_atomic_block
        and not in_memory
    )


def _write_share(
    build: Path,
    units: list[Unit],
    indexes: Iterable[int],
    rewriter: LinkRewriter,
    plan: SitePlan,
    urls: list[str],
) -> None:
    """Render and write `units[i]` for each i of `indexes`; log where the time went."""
    renderer = Renderer()
    tables = TablePages(urls, plan, renderer)
    calendars = Calendars(urls, plan, renderer)
    wanted = set(urls)
    folders: set[Path] = set()
    spent: dict[str, list] = defaultdict(lambda: [0, 0.0])

    def write(url: str, body: bytes) -> None:
        file = file_for(url)
        if file.endswith(".html"):
            body = rewriter.rewrite(url, body.decode()).encode()
        target = build / file
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        # Never write into an existing file: it may be a hard link shared with the previous build.
        target.unlink(missing_ok=True)
        target.write_bytes(body)

    def render(url: str) -> bytes:
        if tables.handles(url):
            return tables.render(url)
        if calendars.handles(url):
            return calendars.render(url)
        return renderer.render(url)

    for index in indexes:
        unit = units[index]
        started = time.monotonic()
        if isinstance(unit, list):
            for url, body in renderer.render_recommendations(unit, plan.today):
                if url in wanted:
                    write(url, body)
            what, kind, count = (
                f"a batch of {len(unit)} recommendations",
                "recommendations",
                len(unit),
            )
        else:
            for url in (unit,) if isinstance(unit, str) else unit:
                write(url, render(url))
            what, kind, count = unit if isinstance(unit, str) else "the calendars", kind_of(unit), 1
        seconds = time.monotonic() - started
        spent[kind][0] += count
        spent[kind][1] += seconds
        if seconds > SLOW_PAGE_SECONDS:
            logger.info("Publishing: %s took %.1f s to render.", what, seconds)
    if spent:
        logger.info(
            "Publishing, time spent by this process: %s.",
            ", ".join(
                f"{kind} {count} in {seconds:.1f} s"
                for kind, (count, seconds) in sorted(spent.items(), key=lambda item: -item[1][1])
            ),
        )


def kind_of(unit: str | tuple[str, ...]) -> str:
    """What a piece of work is, for the log: its view's name (the site-wide pages by address)."""
    if isinstance(unit, tuple):
        return "calendars"
    if unit in SITE_WIDE_URLS:
        return unit
    path, _, query = unit.partition("?")
    name = resolve(path).url_name or path
    return f"{name} (download)" if "_export=" in query else name


# --- Builds, the swap, and the lock --------------------------------------------------------------


def database_name() -> str:
    return str(connection.settings_dict["NAME"])


def current_build(out: Path) -> Path | None:
    if out.is_symlink():
        target = out.parent / os.readlink(out)
        return target if target.is_dir() else None
    if out.exists():
        raise PublishError(
            f"{out} exists and is not a symbolic link. publish_site keeps each build in its own "
            f"folder beside it and points {out.name} at the latest; move {out} away or choose "
            "another --out."
        )
    return None


def read_manifest(build: Path | None) -> dict | None:
    if build is None:
        return None
    try:
        manifest = json.loads((build / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return None
    return manifest if manifest.get("version") == MANIFEST_VERSION else None


def new_build_dir(out: Path) -> Path:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S.%f")
    for attempt in range(1000):
        build = out.parent / (f"{out.name}.{stamp}" + (f"-{attempt}" if attempt else ""))
        try:
            build.mkdir()
        except FileExistsError:
            continue
        return build
    raise PublishError(f"Could not make a new build folder beside {out}.")


def switch_to(out: Path, build: Path) -> None:
    """Point `out` at `build` in one atomic rename, then remove builds older than the previous."""
    previous = out.parent / os.readlink(out) if out.is_symlink() else None
    temporary = out.parent / f".{out.name}.switch-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    os.symlink(build.name, temporary)
    os.replace(temporary, out)
    keep = {build.name, previous.name if previous else None}
    stale = []
    for sibling in out.parent.iterdir():
        name = sibling.name
        is_build = name.startswith(f"{out.name}.") and BUILD_STAMP.match(name[len(out.name) + 1 :])
        is_old = name.startswith(f".{out.name}.old-")  # left by an earlier build
        # Left by an incremental build that was killed (a finished one removes its own).
        is_fresh = name.startswith(f".{out.name}.") and name.endswith(".fresh")
        if not sibling.is_dir() or sibling.is_symlink():
            continue
        if is_build and name not in keep:
            old = out.parent / f".{out.name}.old-{name[len(out.name) + 1 :]}"
            os.rename(sibling, old)
            stale.append(old)
        elif is_old or is_fresh:
            stale.append(sibling)
    remove_in_background(stale)


def remove_in_background(folders: list[Path]) -> None:
    """Delete old builds in a process of their own, not waited for: a build is tens of thousands
    of files, which take seconds to delete, and no reader can reach them any more (each was
    renamed out of the site's sight first; a later build removes whatever is left)."""
    if not folders:
        return
    try:
        subprocess.Popen(  # noqa: S603 - a fixed command on our own folders
            ["rm", "-rf", "--", *(str(folder) for folder in folders)],  # noqa: S607
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:  # no `rm`: delete them here
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def build_lock(out: Path):
    """One build at a time per published path (the command and the job may overlap)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def publish_site(out: Path, *, only_changed: bool = False, jobs: int = 1) -> PublishResult:
    """Build the published view into a new folder beside `out` and switch `out` to it.

    With `only_changed`, re-render only what shows recommendations changed since the current build
    (falling back to a full build when an incremental one would not be correct)."""
    started = time.monotonic()
    out = Path(out).absolute()
    with build_lock(out):
        today = timezone.localdate()
        previous_build = current_build(out)
        manifest = read_manifest(previous_build)
        plan = SitePlan.from_database(today)
        prints = fingerprints()
        statics = static_files()
        rewriter = LinkRewriter([*plan.all_urls(), *SITE_DOWNLOADS], statics)
        if only_changed and manifest and manifest["database"] == database_name():
            previous_plan = SitePlan.from_json(manifest["plan"])
            if previous_plan.today == today and plan.same_shape_as(previous_plan):
                before = manifest["fingerprints"]
                changed = sorted(pk for pk, now in prints.items() if before.get(str(pk)) != now)
                deadlines_changed = [
                    pk
                    for pk in changed
                    if before.get(str(pk), ":").split(":")[1] != prints[pk].split(":")[1]
                ]
                if not changed:
                    return PublishResult(previous_build, "unchanged", 0, time.monotonic() - started)
                build = new_build_dir(out)
                # The changed files are rendered into a folder of their own while the previous
                # build is linked into the new one (disk work and rendering at once), then
                # moved over the links they replace.
                fresh = out.parent / f".{build.name}.fresh"
                linking = Linking(previous_build, build)
                try:
                    fresh.mkdir()
                    urls = plan.urls_showing(changed, deadlines_changed, previous_plan)
                    written = write_pages(fresh, urls, rewriter, plan, jobs)
                    linking.wait()
                    move_files(fresh, build)
                    written += join_site_downloads(build, plan, rewriter)
                    write_manifest(build, plan, prints)
                except BaseException:
                    linking.stop()
                    shutil.rmtree(build, ignore_errors=True)
                    raise
                finally:
                    shutil.rmtree(fresh, ignore_errors=True)
                switch_to(out, build)
                return PublishResult(
                    build, "incremental", written, time.monotonic() - started, changed
                )
        build = new_build_dir(out)
        try:
            written = write_pages(build, plan.all_urls(), rewriter, plan, jobs)
            written += join_site_downloads(build, plan, rewriter)
            for public, source in statics.items():
                target = build / public.lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
            write_manifest(build, plan, prints)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
        switch_to(out, build)
        return PublishResult(build, "full", written + len(statics), time.monotonic() - started)


def join_site_downloads(build: Path, plan: SitePlan, rewriter: LinkRewriter) -> int:
    """Write `recommendations.csv` and `.json` from the reports' files, in the table's order."""
    slugs = list(dict.fromkeys(entry[0] for entry in plan.recommendations.values()))
    if not slugs:
        return write_pages(build, SITE_DOWNLOADS, rewriter, plan)
    for fmt in DOWNLOAD_FORMATS:
        parts = [(build / f"reports/{slug}/recommendations.{fmt}").read_bytes() for slug in slugs]
        if fmt == "csv":  # one header, then every report's rows
            header, _, _ = parts[0].partition(b"\r\n")
            body = header + b"\r\n" + b"".join(part.partition(b"\r\n")[2] for part in parts)
        else:  # one JSON list holding every report's objects
            body = b"[" + b", ".join(part.strip()[1:-1] for part in parts) + b"]"
        target = build / f"recommendations.{fmt}"
        target.unlink(missing_ok=True)
        target.write_bytes(body)
    return len(DOWNLOAD_FORMATS)


class Linking:
    """Hard-links every file of `source` into `target` (a sibling folder, on the same device) in
    a process of its own, started at once: GNU `cp -al`, or Python's `copytree` in `wait` where
    that is missing or fails."""

    def __init__(self, source: Path, target: Path):
        self.source, self.target = source, target
        try:
            self.process: subprocess.Popen | None = subprocess.Popen(  # noqa: S603
                ["cp", "-al", f"{source}/.", str(target)],  # noqa: S607 - our own folders
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            self.process = None

    def wait(self) -> None:
        if self.process is not None and self.process.wait() == 0:
            return
        shutil.rmtree(self.target)
        shutil.copytree(self.source, self.target, copy_function=os.link)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def move_files(source: Path, target: Path) -> None:
    """Move every file under `source` to the same place under `target`, replacing what is there
    (a hard link to the previous build's file, which stays as it was)."""
    for folder, _folders, files in os.walk(source):
        into = target / Path(folder).relative_to(source)
        into.mkdir(parents=True, exist_ok=True)
        for name in files:
            os.replace(Path(folder) / name, into / name)


def write_manifest(build: Path, plan: SitePlan, prints: dict[int, str]) -> None:
    manifest = {
        "version": MANIFEST_VERSION,
        "database": database_name(),
        "plan": plan.to_json(),
        "fingerprints": {str(pk): digest for pk, digest in prints.items()},
    }
    target = build / MANIFEST_NAME
    target.unlink(missing_ok=True)
    target.write_text(json.dumps(manifest))


# --- Asking the job to publish -------------------------------------------------------------------


def is_published_from_this_database(out: Path) -> bool:
    """The jobs only refresh a published view that `publish_site` made from this database, so a
    test run or another database never overwrites it, and nothing is published until asked once."""
    try:
        manifest = read_manifest(current_build(Path(out)))
    except PublishError:
        return False
    return bool(manifest) and manifest["database"] == database_name()


def request_publication() -> None:
    """After a publication commits: queue an incremental build `PUBLISH_DEBOUNCE_SECONDS` later.

    Each request records itself as the latest; a queued build that is no longer the latest skips,
    so a burst of publications makes one build after the burst (or after `PUBLISH_MAX_WAIT_SECONDS`
    at most). The build itself finds what changed from the database, so a skipped or repeated
    build loses nothing."""
    from tracker.tasks import publish_site_task

    if not is_published_from_this_database(settings.PUBLISH_DIR):
        return
    token = hashlib.sha256(os.urandom(16)).hexdigest()[:16]
    cache.set(PUBLISH_REQUEST_KEY, token, timeout=settings.PUBLISH_MAX_WAIT_SECONDS * 2)
    cache.add(PUBLISH_FIRST_REQUEST_KEY, time.time(), timeout=settings.PUBLISH_MAX_WAIT_SECONDS * 2)
    publish_site_task.apply_async(
        kwargs={"only_changed": True, "token": token}, countdown=settings.PUBLISH_DEBOUNCE_SECONDS
    )


def is_superseded(token: str | None) -> bool:
    """True when a later request will build anyway (and the first request has not waited too long).
    An unknown marker (expired, or a cache not shared between processes) never skips a build."""
    if token is None:
        return False
    latest = cache.get(PUBLISH_REQUEST_KEY)
    first = cache.get(PUBLISH_FIRST_REQUEST_KEY)
    waited_too_long = first is not None and time.time() - first > settings.PUBLISH_MAX_WAIT_SECONDS
    return latest is not None and latest != token and not waited_too_long


def mark_request_handled() -> None:
    cache.delete(PUBLISH_FIRST_REQUEST_KEY)


def request_full_publication() -> None:
    """After the daily snapshot: rebuild the whole published view, if there is one."""
    from tracker.tasks import publish_site_task

    if is_published_from_this_database(settings.PUBLISH_DIR):
        publish_site_task.delay()
