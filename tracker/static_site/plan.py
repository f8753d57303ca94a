"""The site's plan: every URL a build renders, the file that holds it, and which recommendation
shows on which files (so an incremental build knows what to re-render).

Only what the public may see is planned (`public()` in `tracker.models`): a report an editor has
not published, its recommendations and the organisations named only in it have no file. Publishing
or withdrawing a report changes the plan's shape, so the next build is a full one."""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.db.models import Count, Max

from tracker.as_of import AsOf
from tracker.models import (
    Check,
    Deadline,
    Organisation,
    Ownership,
    Recommendation,
    Report,
    Response,
    StatusUpdate,
)
from tracker.public.tables import table_queryset
from tracker.public.views import RecommendationListView

# XLSX is left out: it is the slowest to write and adds nothing CSV does not hold.
DOWNLOAD_FORMATS = ("csv", "json")


# The whole table's downloads are joined from the reports' own (the same rows, in the same order),
# so a change re-renders one report's rows, not every row of every report.
SITE_DOWNLOADS = [f"/recommendations/?_export={fmt}" for fmt in DOWNLOAD_FORMATS]


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
    "/sources/",
    "/methodology/",  # counts the claims resting on primary sources
]


# Shown only where deadlines changed (a status update alone leaves them as they were).
SITE_WIDE_CALENDARS = ["/deadlines.ics"]


UNCHANGING_URLS: list[str] = []


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


class RecommendationEntry(NamedTuple):
    """Where one recommendation shows: its report's slug, its number, its owners' slugs and the
    page of the table that lists it."""

    report: str
    number: int
    owners: list[str]
    page: int


@dataclass
class SitePlan:
    """Every URL a build renders, and which recommendation shows on which files."""

    today: datetime.date
    reports: dict[int, str]  # pk -> slug
    organisations: dict[int, str]  # pk -> slug
    recommendations: dict[int, RecommendationEntry]  # by recommendation pk

    @classmethod
    def from_database(cls, today: datetime.date) -> SitePlan:
        owners: dict[int, list[str]] = defaultdict(list)
        for recommendation_id, slug in (
            Ownership.objects.public()
            .values_list("recommendation_id", "organisation__slug")
            .order_by("organisation__slug")
        ):
            owners[recommendation_id].append(slug)
        per_page = RecommendationListView.paginate_by
        order = table_queryset(AsOf(day=today, today=today)).values_list(
            "pk", "report__slug", "number"
        )
        return cls(
            today=today,
            reports=dict(Report.objects.public().values_list("pk", "slug")),
            organisations=dict(Organisation.objects.public().values_list("pk", "slug")),
            recommendations={
                pk: RecommendationEntry(slug, number, owners[pk], position // per_page + 1)
                for position, (pk, slug, number) in enumerate(order)
            },
        )

    @property
    def list_pages(self) -> int:
        return max((entry.page for entry in self.recommendations.values()), default=1)

    def same_shape_as(self, other: SitePlan) -> bool:
        return (
            self.reports == other.reports
            and self.organisations == other.organisations
            and {pk: (e.report, e.number, e.page) for pk, e in self.recommendations.items()}
            == {pk: (e.report, e.number, e.page) for pk, e in other.recommendations.items()}
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
        calendars = {self.recommendations[pk].report for pk in deadlines_changed}
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
                int(k): RecommendationEntry(v[0], v[1], list(v[2]), v[3])
                for k, v in data["recommendations"].items()
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
    """A digest per public recommendation of everything its own page shows that editors can
    change, as `<everything but deadlines>:<what the calendars show>` (its deadlines, its
    responses and its response clock), so a change to the calendars can be told apart. One grouped
    query per table: each reads its table once, whatever the number of rows. A recommendation of
    an unpublished report has none: changing it rebuilds nothing."""

    def per_recommendation(queryset, stamp: str = "updated_at") -> dict[int, tuple]:
        rows = queryset.order_by().values("recommendation").annotate(n=Count("pk"), at=Max(stamp))
        return {row["recommendation"]: (row["n"], row["at"]) for row in rows}

    ledger = [
        per_recommendation(StatusUpdate.objects.published(), stamp="published_at"),
        per_recommendation(Response.objects.all()),
        per_recommendation(Ownership.objects.all()),
        per_recommendation(Check.objects.all()),  # its page says when it was last checked
    ]
    deadlines = per_recommendation(Deadline.objects.all())
    responses = ledger[1]

    def digest(values) -> str:
        return hashlib.sha256(repr(values).encode()).hexdigest()[:12]

    def fingerprint(pk: int, updated_at, late_from) -> str:
        # The response clock moves with the report's response date too: its pages say so.
        others = digest((updated_at, late_from, *(part.get(pk) for part in ledger)))
        return f"{others}:{digest((deadlines.get(pk), responses.get(pk), late_from))}"

    own_rows = (
        Recommendation.objects.public()
        .order_by()
        .values_list("pk", "updated_at", "response_late_from")
    )
    return {pk: fingerprint(pk, *row) for pk, *row in own_rows}
