"""Atom feeds: published status updates (all, per report, per recommendation) and changes.

Only published updates of published reports appear (`StatusUpdateQuerySet.public`). Each feed
states the day its data is as of in its subtitle and in an `X-Data-As-Of` header.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html

from tracker.models import Recommendation, Report, StatusUpdate
from tracker.public.changes import Basis, Change, latest_changes

FEED_LENGTH = 50
DEFAULT_CHANGE_DAYS = 30
# The changes feed carries the latest this many; the changes page and the downloads hold the rest.
CHANGES_FEED_LENGTH = 100
MAX_CHANGE_DAYS = 366


def as_of_words(day: datetime.date) -> str:
    return f"Generated on {day:%-d %B %Y}; each entry is dated by the day it describes."


def bad_request(message: str) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def source_html(source, reported: bool = False):
    if source is None:
        return ""
    return format_html('<p><a href="{}">{}</a></p>', source.url, source.credit(reported))


class BaseFeed(Feed):
    """Atom, with the site as author so that every entry has one, as RFC 4287 requires."""

    feed_type = Atom1Feed
    query_params: frozenset[str] = frozenset()

    def author_name(self) -> str:
        return settings.SITE_NAME

    def refuse(self, request) -> HttpResponseBadRequest | None:
        """A 400 with a message for an unknown or malformed query parameter, else None."""
        unknown = sorted(set(request.GET) - self.query_params)
        if unknown:
            takes = ", ".join(sorted(self.query_params)) or "no parameters"
            return bad_request(
                f"Unknown query parameter: {', '.join(unknown)}. This feed takes {takes}."
            )
        return None

    def __call__(self, request, *args, **kwargs):
        if refused := self.refuse(request):
            return refused
        response = super().__call__(request, *args, **kwargs)
        response["X-Data-As-Of"] = timezone.localdate().isoformat()
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=600"
        return response


class UpdatesFeed(BaseFeed):
    """Items are published status updates, latest first."""

    def updates(self):
        return (
            StatusUpdate.objects.public()
            .select_related("recommendation__report", "organisation", "corrects", "source")
            .order_by("-published_at", "-pk")  # as `newest_published_first`
        )

    def subtitle(self, obj) -> str:
        return (
            f"Published status updates, each with its source. {as_of_words(timezone.localdate())}"
        )

    def item_title(self, update: StatusUpdate) -> str:
        recommendation = update.recommendation
        scope = f" ({update.organisation.name}'s part)" if update.organisation_id else ""
        prefix = "Correction: " if update.corrects_id else ""
        return (
            f"{prefix}{recommendation.report.short_name} {recommendation.number}{scope}: "
            f"{update.get_status_display()}"
        )

    def item_description(self, update: StatusUpdate):
        corrects = (
            format_html(
                "<p>Corrects the update describing {}.</p>",
                f"{update.corrects.describes_on:%-d %B %Y}",
            )
            if update.corrects_id
            else ""
        )
        return format_html(
            "{}<p>{}</p><p>Describes {}. {}.</p>{}",
            corrects,
            update.summary,
            f"{update.describes_on:%-d %B %Y}",
            update.get_account_display(),
            source_html(update.source, update.source_is_a_report),
        )

    def item_link(self, update: StatusUpdate) -> str:
        return f"{update.recommendation.get_absolute_url()}#update-{update.pk}"

    def item_pubdate(self, update: StatusUpdate) -> datetime.datetime:
        return update.published_at

    def item_updateddate(self, update: StatusUpdate) -> datetime.datetime:
        return update.published_at

    def item_categories(self, update: StatusUpdate) -> list[str]:
        return [update.get_status_display()]

    def title(self, obj) -> str:
        return f"{settings.SITE_NAME}: all published updates"

    def link(self, obj) -> str:
        return reverse("home")

    def items(self, obj):
        return self.updates()[:FEED_LENGTH]


class ReportUpdatesFeed(UpdatesFeed):
    def get_object(self, request, slug: str) -> Report:
        return get_object_or_404(Report.objects.public(), slug=slug)

    def title(self, report: Report) -> str:
        return f"{report.short_name}: published updates"

    def link(self, report: Report) -> str:
        return report.get_absolute_url()

    def items(self, report: Report):
        return self.updates().filter(recommendation__report=report)[:FEED_LENGTH]


class RecommendationUpdatesFeed(UpdatesFeed):
    def get_object(self, request, slug: str, number: int) -> Recommendation:
        return get_object_or_404(
            Recommendation.objects.public().select_related("report"),
            report__slug=slug,
            number=number,
        )

    def title(self, recommendation: Recommendation) -> str:
        return f"{recommendation.report.short_name} {recommendation.number}: published updates"

    def link(self, recommendation: Recommendation) -> str:
        return recommendation.get_absolute_url()

    def items(self, recommendation: Recommendation):
        return self.updates().filter(recommendation=recommendation)[:FEED_LENGTH]


class _GivenUpdatesFeed(RecommendationUpdatesFeed):
    def __init__(self, updates: list[StatusUpdate]):
        self.given = updates

    def items(self, recommendation: Recommendation) -> list[StatusUpdate]:
        return self.given


def newest_published_first(updates: list[StatusUpdate]) -> list[StatusUpdate]:
    """The feeds' order (`BaseFeed.updates`), for updates already fetched."""
    return sorted(updates, key=lambda update: (update.published_at, update.pk), reverse=True)


def recommendation_feed_body(
    recommendation: Recommendation, published: list[StatusUpdate], request
) -> bytes:
    """The recommendation's feed, as `RecommendationUpdatesFeed` writes it, from its published
    updates fetched already (in any order, each with its organisation and the update it corrects;
    the recommendation with its report)."""
    newest = newest_published_first(published)
    feed = _GivenUpdatesFeed(newest[:FEED_LENGTH]).get_feed(recommendation, request)
    return feed.writeString("utf-8").encode()


@dataclass(frozen=True)
class Window:
    since: datetime.date
    until: datetime.date
    basis: str = Basis.HAPPENED
    latest: list[Change] = field(default_factory=list)  # latest first, at most the feed's length
    total: int = 0  # how many changes the window holds in all

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def is_recorded(self) -> bool:
        return self.basis == Basis.RECORDED


def parse_days(raw: str | None) -> int:
    """`?days=N`, a whole number from 1 to MAX_CHANGE_DAYS; ValueError with a message otherwise."""
    if raw is None or raw == "":
        return DEFAULT_CHANGE_DAYS
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_CHANGE_DAYS:
        raise ValueError(f"days must be a whole number from 1 to {MAX_CHANGE_DAYS}, not “{raw}”.")
    return int(raw)


def shown_words(window: Window) -> str:
    if window.total <= len(window.latest):
        return ""
    return (
        f"The latest {len(window.latest)} of {window.total} changes are listed; every change "
        "also appears on its recommendation's page and in its feed. "
    )


class ChangesFeed(BaseFeed):
    """What happened in the last N days (`?days=N`, 30 unless given), each entry dated by the day
    it describes; with `?view=recorded`, what was recorded on the tracker in those days instead
    (the rule of `tracker.public.changes`)."""

    query_params = frozenset({"days", "view"})

    def refuse(self, request) -> HttpResponseBadRequest | None:
        if refused := super().refuse(request):
            return refused
        try:
            parse_days(request.GET.get("days"))
        except ValueError as error:
            return bad_request(str(error))
        if request.GET.get("view", Basis.HAPPENED) not in Basis.values:
            return bad_request("view must be “happened” or “recorded”.")
        return None

    def get_object(self, request) -> Window:
        days = parse_days(request.GET.get("days"))
        until = timezone.localdate()
        since = until - datetime.timedelta(days=days - 1)
        basis = request.GET.get("view") or Basis.HAPPENED
        found = latest_changes(since, until, CHANGES_FEED_LENGTH, basis)
        return Window(
            since=since,
            until=until,
            basis=basis,
            latest=found.merged()[:CHANGES_FEED_LENGTH],
            total=found.total,
        )

    def title(self, window: Window) -> str:
        if window.is_recorded:
            return f"{settings.SITE_NAME}: recorded in the last {window.days} days"
        return f"{settings.SITE_NAME}: what happened in the last {window.days} days"

    def subtitle(self, window: Window) -> str:
        period = f"from {window.since:%-d %B %Y} to {window.until:%-d %B %Y}"
        if window.is_recorded:
            what = (
                f"What was recorded on this tracker {period}, each entry dated by the day it was "
                "recorded (entries recorded when a report was first loaded are left out)"
            )
        else:
            what = (
                f"What happened {period}, each development dated by the day it describes, "
                "whenever it was recorded"
            )
        return (
            f"{what}: updates, responses given or become late, corrections, deadlines set, "
            f"moved, met, missed, dropped or passed. {shown_words(window)}"
            f"{as_of_words(window.until)}"
        )

    def link(self, window: Window) -> str:
        return reverse("changes") + ("?view=recorded" if window.is_recorded else "")

    def feed_url(self, window: Window) -> str:
        view = "&view=recorded" if window.is_recorded else ""
        return f"{reverse('changes_feed')}?days={window.days}{view}"

    def items(self, window: Window) -> list[Change]:
        return window.latest

    def item_title(self, change: Change) -> str:
        return f"{change.kind_label}: {change.title}"

    def item_description(self, change: Change):
        return format_html(
            "<p>{}</p>{}", change.summary, source_html(change.source, change.reported)
        )

    def item_link(self, change: Change) -> str:
        return f"{change.url}#{change.key}"

    def item_pubdate(self, change: Change) -> datetime.datetime:
        return change.at

    def item_updateddate(self, change: Change) -> datetime.datetime:
        return change.at

    def item_categories(self, change: Change) -> list[str]:
        return [change.kind_label]
