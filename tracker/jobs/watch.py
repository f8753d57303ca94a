"""The watch job: fetch each watched feed, match its new entries against every recommendation's
watch terms, and record what matched as leads for editors to review.

A lead is recorded once per (feed, entry) however often the entry is seen: existing keys are
skipped and the unique constraint settles a race between two workers. One bad feed never stops
the job: its failure is recorded on the feed (shown in the admin) and it is tried again after a
backoff that doubles with each failure in a row.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, transaction

from tracker.leads.fetching import FeedEntry, FeedError, FetchedFeed, fetch_feed
from tracker.leads.matching import TermMatcher, WatchList
from tracker.leads.terms import default_watch_terms, split_terms
from tracker.models import Lead, LeadMatch, Recommendation, WatchedFeed

logger = logging.getLogger(__name__)


@dataclass
class FoundLead:
    entry: FeedEntry
    matches: dict[int, list[str]]


@dataclass
class FeedOutcome:
    feed: WatchedFeed
    state: str  # "read", "not modified" or "failed"
    entries: int = 0
    leads: list[FoundLead] = field(default_factory=list)
    error: str = ""
    warning: str = ""

    def __str__(self) -> str:
        if self.state == "failed":
            return f"{self.feed.name}: failed — {self.error}"
        if self.state == "not modified":
            return f"{self.feed.name}: not modified since the last fetch"
        text = f"{self.feed.name}: {self.entries} entries, {len(self.leads)} new lead(s)"
        return f"{text} ({self.warning})" if self.warning else text


@dataclass
class WatchResult:
    outcomes: list[FeedOutcome] = field(default_factory=list)
    dry_run: bool = False

    @property
    def new_leads(self) -> int:
        return sum(len(o.leads) for o in self.outcomes)

    @property
    def failed(self) -> list[FeedOutcome]:
        return [o for o in self.outcomes if o.state == "failed"]

    def __str__(self) -> str:
        verb = "would record" if self.dry_run else "recorded"
        return (
            f"{len(self.outcomes)} feed(s) fetched, {len(self.failed)} failed; "
            f"{verb} {self.new_leads} new lead(s)."
        )


def build_matcher() -> TermMatcher:
    """Every recommendation's terms (the editor's, or the defaults) in one automaton."""
    rows = Recommendation.objects.values_list("pk", "title", "text", "watch_terms", "watch_exclude")
    return TermMatcher(
        WatchList(
            recommendation_id=pk,
            terms=split_terms(terms) or default_watch_terms(title, text),
            exclude=split_terms(exclude),
        )
        for pk, title, text, terms, exclude in rows.iterator(chunk_size=2000)
    )


class LazyMatcher:
    """Built on the first feed with something new, once per run: a run in which every feed
    answers "not modified" never reads the recommendations."""

    def __init__(self):
        self._matcher: TermMatcher | None = None

    def match(self, text: str) -> dict[int, list[str]]:
        if self._matcher is None:
            self._matcher = build_matcher()
        return self._matcher.match(text)


def feeds_due(now: datetime.datetime, feed_id: int | None = None) -> list[WatchedFeed]:
    """Active feeds not waiting out a backoff; or the one feed asked for, whatever its state."""
    if feed_id is not None:
        return list(WatchedFeed.objects.filter(pk=feed_id))
    return [feed for feed in WatchedFeed.objects.filter(active=True) if feed.is_due(now)]


def watch_sources(
    now: datetime.datetime,
    feed_id: int | None = None,
    dry_run: bool = False,
    fetch=fetch_feed,
) -> WatchResult:
    result = WatchResult(dry_run=dry_run)
    matcher = LazyMatcher()
    for feed in feeds_due(now, feed_id):
        outcome = watch_feed(feed, matcher, now, dry_run, fetch)
        logger.info("watch_sources: %s", outcome)
        result.outcomes.append(outcome)
    return result


def watch_feed(
    feed: WatchedFeed, matcher: LazyMatcher, now: datetime.datetime, dry_run: bool, fetch
) -> FeedOutcome:
    try:
        fetched = fetch(feed.url, feed.etag, feed.last_modified)
    except FeedError as error:
        return _failed(feed, str(error), now, dry_run)
    except DatabaseError:
        raise
    except Exception as error:  # a fault in a feed must never stop the others
        logger.exception("watch_sources: unexpected failure reading %s", feed.url)
        return _failed(feed, f"Unexpected error: {type(error).__name__}: {error}", now, dry_run)
    if fetched.not_modified:
        if not dry_run:
            _succeeded(feed, fetched, now)
        return FeedOutcome(feed, "not modified")
    outcome = FeedOutcome(feed, "read", entries=len(fetched.entries), warning=fetched.warning)
    outcome.leads = _new_leads(feed, fetched.entries, matcher)
    if not dry_run:
        with transaction.atomic():
            _record(feed, fetched, outcome.leads)
            _succeeded(feed, fetched, now)
    return outcome


def _new_leads(feed: WatchedFeed, entries: list[FeedEntry], matcher: LazyMatcher):
    unique = {entry.key: entry for entry in entries}
    seen = set(
        Lead.objects.filter(feed=feed, entry_key__in=list(unique)).values_list(
            "entry_key", flat=True
        )
    )
    found = []
    for key, entry in unique.items():
        if key in seen:
            continue
        matches = matcher.match(entry.text)
        if matches:
            found.append(FoundLead(entry, matches))
    return found


def _record(feed: WatchedFeed, fetched: FetchedFeed, found: list[FoundLead]) -> None:
    if not found:
        return
    publisher = (feed.publisher or fetched.title or feed.name)[:200]
    Lead.objects.bulk_create(
        [
            Lead(
                feed=feed,
                entry_key=lead.entry.key,
                title=lead.entry.title,
                link=lead.entry.link,
                published_at=lead.entry.published_at,
                publisher=publisher,
                summary=lead.entry.summary[:5000],
            )
            for lead in found
        ],
        ignore_conflicts=True,
    )
    ids = dict(
        Lead.objects.filter(feed=feed, entry_key__in=[f.entry.key for f in found]).values_list(
            "entry_key", "pk"
        )
    )
    LeadMatch.objects.bulk_create(
        [
            LeadMatch(
                lead_id=ids[lead.entry.key],
                recommendation_id=recommendation_id,
                matched_terms="\n".join(terms),
            )
            for lead in found
            for recommendation_id, terms in lead.matches.items()
        ],
        ignore_conflicts=True,
    )


def _succeeded(feed: WatchedFeed, fetched: FetchedFeed, now: datetime.datetime) -> None:
    feed.etag, feed.last_modified = fetched.etag, fetched.last_modified
    feed.last_fetched_at = feed.last_success_at = now
    feed.failure_count, feed.last_error, feed.next_attempt_at = 0, "", None
    feed.save(
        update_fields=[
            "etag",
            "last_modified",
            "last_fetched_at",
            "last_success_at",
            "failure_count",
            "last_error",
            "next_attempt_at",
            "updated_at",
        ]
    )


def backoff(failures: int) -> datetime.timedelta:
    """Wait before the next attempt after `failures` failures in a row (1 → the base)."""
    base = datetime.timedelta(minutes=settings.WATCH_BACKOFF_BASE_MINUTES)
    longest = datetime.timedelta(hours=settings.WATCH_BACKOFF_MAX_HOURS)
    return min(base * 2 ** min(failures - 1, 20), longest)


def _failed(feed: WatchedFeed, error: str, now: datetime.datetime, dry_run: bool) -> FeedOutcome:
    if not dry_run:
        feed.failure_count += 1
        feed.last_error = error[:2000]
        feed.last_fetched_at = now
        feed.next_attempt_at = now + backoff(feed.failure_count)
        feed.save(
            update_fields=[
                "failure_count",
                "last_error",
                "last_fetched_at",
                "next_attempt_at",
                "updated_at",
            ]
        )
    return FeedOutcome(feed, "failed", error=error)
