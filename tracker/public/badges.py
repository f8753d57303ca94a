"""Embeddable SVG badges: a recommendation's status, or a report's progress, with the as-of date.

Rendered from `templates/tracker/badges/badge.svg`: two coloured boxes, no script, text at WCAG AA
contrast (4.5:1 or more) on every background.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Max, Q
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone

from tracker.models import ImplementationStatus, Recommendation, Report
from tracker.public.scorecards import STATUS_ORDER

WHITE = "#ffffff"


@dataclass(frozen=True)
class Colours:
    background: str
    text: str


LABEL_COLOURS = Colours("#383f43", WHITE)
STATUS_COLOURS = {
    ImplementationStatus.NOT_YET_ASSESSED: Colours("#505a5f", WHITE),
    ImplementationStatus.NOT_STARTED: Colours("#6f3f00", WHITE),
    ImplementationStatus.IN_PROGRESS: Colours("#1d70b8", WHITE),
    ImplementationStatus.PARTIALLY_IMPLEMENTED: Colours("#003078", WHITE),
    ImplementationStatus.IMPLEMENTED: Colours("#00703c", WHITE),
    ImplementationStatus.NOT_BEING_IMPLEMENTED: Colours("#942514", WHITE),
}
PROGRESS_COLOURS = Colours("#003078", WHITE)

# Approximate advance widths of Verdana at 11px; `textLength` makes the text fit exactly anyway.
NARROW, SPACE, DEFAULT_WIDTH, WIDE = 3.5, 3.9, 6.8, 10.5
CHAR_WIDTHS = {
    **dict.fromkeys("ijl|!.,:;'·()", NARROW),
    " ": SPACE,
    **dict.fromkeys("frt", 4.8),
    **dict.fromkeys("mwMW", WIDE),
    **dict.fromkeys("ABCDEFGHIJKLNOPQRSTUVXYZ0123456789", 7.6),
}
PADDING = 6
CACHE_SECONDS = 300


def text_width(text: str) -> float:
    return round(sum(CHAR_WIDTHS.get(char, DEFAULT_WIDTH) for char in text), 1)


@dataclass(frozen=True)
class Badge:
    label: str
    message: str
    label_colours: Colours
    message_colours: Colours

    @property
    def text(self) -> str:
        return f"{self.label}: {self.message}"

    @property
    def label_text_width(self) -> float:
        return text_width(self.label)

    @property
    def message_text_width(self) -> float:
        return text_width(self.message)

    @property
    def label_width(self) -> float:
        return self.label_text_width + 2 * PADDING

    @property
    def message_width(self) -> float:
        return self.message_text_width + 2 * PADDING

    @property
    def width(self) -> float:
        return self.label_width + self.message_width

    @property
    def label_centre(self) -> float:
        return self.label_width / 2

    @property
    def message_centre(self) -> float:
        return self.label_width + self.message_width / 2


def short_date(day: datetime.date) -> str:
    return f"{day.day} {day:%b %Y}"


def badge_svg(badge: Badge) -> str:
    return render_to_string("tracker/badges/badge.svg", {"badge": badge})


def svg_response(badge: Badge, as_of: datetime.date) -> HttpResponse:
    response = HttpResponse(badge_svg(badge), content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response["X-Data-As-Of"] = as_of.isoformat()
    response["Access-Control-Allow-Origin"] = "*"
    # An SVG opened on its own is a document: it may run nothing and load nothing.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'none'; sandbox"
    return response


def refuse_query(request) -> HttpResponseBadRequest | None:
    if request.GET:
        return HttpResponseBadRequest(
            f"Unknown query parameter: {', '.join(sorted(request.GET))}. Badges take none.",
            content_type="text/plain; charset=utf-8",
        )
    return None


def recommendation_badge(request, slug: str, number: int) -> HttpResponse:
    if refused := refuse_query(request):
        return refused
    recommendation = get_object_or_404(
        Recommendation.objects.public().select_related("report"),
        report__slug=slug,
        number=number,
    )
    today = timezone.localdate()
    return svg_response(recommendation_status_badge(recommendation, today), today)


def recommendation_status_badge(recommendation: Recommendation, today: datetime.date) -> Badge:
    """The badge of a recommendation (with its report) on `today`."""
    status = ImplementationStatus(recommendation.status)
    # The date of the status shown (the update it comes from), never the day the badge is drawn.
    dated = (
        f" · {short_date(recommendation.status_on)}"
        if recommendation.status_on
        else " · no update yet"
    )
    return Badge(
        label=f"{recommendation.report.short_name} {recommendation.number}",
        message=f"{status.label}{dated}",
        label_colours=LABEL_COLOURS,
        message_colours=STATUS_COLOURS[status],
    )


def status_breakdown(counts: dict[str, int]) -> str:
    """“2 implemented, 1 in progress, 17 not yet assessed”: the statuses that have any."""
    parts = [
        f"{counts[status]} {ImplementationStatus(status).label.lower()}"
        for status in STATUS_ORDER
        if counts.get(status)
    ]
    return ", ".join(parts) or "no recommendations"


def statuses_dated(newest: datetime.date | None) -> str:
    """The date of the newest status a report's badge counts."""
    return f" · latest status {short_date(newest)}" if newest else " · no update yet"


def report_badge(request, slug: str) -> HttpResponse:
    if refused := refuse_query(request):
        return refused
    report = get_object_or_404(
        Report.objects.public().annotate(
            **{
                str(status): Count("recommendations", filter=Q(recommendations__status=status))
                for status in STATUS_ORDER
            },
            newest_status_on=Max("recommendations__status_on"),
        ),
        slug=slug,
    )
    today = timezone.localdate()
    counts = {status: getattr(report, str(status)) for status in STATUS_ORDER}
    badge = Badge(
        label=report.short_name,
        message=f"{status_breakdown(counts)}{statuses_dated(report.newest_status_on)}",
        label_colours=LABEL_COLOURS,
        message_colours=PROGRESS_COLOURS,
    )
    return svg_response(badge, today)
