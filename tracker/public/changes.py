"""What changed in the public record between two days: the `/changes/` page and `/changes.atom`.

A change is dated by when the tracker recorded it, so "since D" means "since I last looked":
- `update`: a status update was published (its `published_at`);
- `correction`: a published update that corrects an earlier one (its `published_at`);
- `deadline_set`: a first deadline was recorded (its `created_at`);
- `deadline_moved`: a deadline was recorded that replaces an earlier one (its `created_at`);
- `deadline_met` and `deadline_withdrawn`: on the date the deadline was met or dropped;
- `deadline_overdue`: an open deadline fell due, so it is overdue from the day after.

Drafts are never changes. A fixed number of queries, whatever the number of changes.
"""

from __future__ import annotations

import datetime
import functools
import heapq
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from tracker.models import Deadline, Recommendation, StatusUpdate, superseded_exists
from tracker.periods import describe_due

ONE_DAY = datetime.timedelta(days=1)
KIND_LABELS = {
    "update": "New update",
    "correction": "Correction",
    "deadline_set": "Deadline set",
    "deadline_moved": "Deadline moved",
    "deadline_met": "Deadline met",
    "deadline_withdrawn": "Deadline dropped",
    "deadline_overdue": "Deadline passed",
}


@dataclass(frozen=True)
class Change:
    """One dated change. `key` is stable and unique, for feed entry ids and page anchors."""

    kind: str
    on: datetime.date
    at: datetime.datetime
    recommendation: Recommendation
    title: str
    summary: str
    source_url: str
    source_title: str
    key: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def url(self) -> str:
        """The recommendation's public page, where the change can be read in context."""
        return self.recommendation.get_absolute_url()


def start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def label(recommendation: Recommendation) -> str:
    return f"{recommendation.report.short_name} {recommendation.number}"


def due_words(deadline: Deadline) -> str:
    return f"“{deadline.stated_as}” ({describe_due(deadline.due_date, deadline.precision)})"


def _updates_in(since: datetime.date, until: datetime.date):
    return (
        StatusUpdate.objects.published()
        .filter(published_at__gte=start_of_day(since))
        .filter(published_at__lt=start_of_day(until + datetime.timedelta(days=1)))
    )


def change_of_update(update: StatusUpdate) -> Change:
    is_correction = update.corrects_id is not None
    scope = f" ({update.organisation.name}'s part)" if update.organisation_id else ""
    title = f"{label(update.recommendation)}{scope}: {update.get_status_display()}"
    summary = (
        f"{update.summary} Describes {update.describes_on:%-d %B %Y}; "
        f"{update.get_account_display().lower()}."
    )
    if is_correction:
        summary = (
            f"Corrects the update describing {update.corrects.describes_on:%-d %B %Y}. " + summary
        )
    published_at = timezone.localtime(update.published_at)
    return Change(
        kind="correction" if is_correction else "update",
        on=published_at.date(),
        at=published_at,
        recommendation=update.recommendation,
        title=title,
        summary=summary,
        source_url=update.source_url,
        source_title=update.source_title,
        key=change_key("correction" if is_correction else "update", update.pk),
    )


def _deadlines_in(since: datetime.date, until: datetime.date):
    """Deadlines with a change in the period (a superset: `deadline_kinds` says which)."""
    start, end = start_of_day(since), start_of_day(until + datetime.timedelta(days=1))
    # A deadline falls overdue the day after it is due, so those due in [since - 1, until - 1].
    fell_due = Q(due_date__gte=since - datetime.timedelta(days=1), due_date__lt=until)
    return Deadline.objects.filter(
        Q(created_at__gte=start, created_at__lt=end)
        | Q(met_on__gte=since, met_on__lte=until)
        | Q(withdrawn_on__gte=since, withdrawn_on__lte=until)
        | (Q(pk__in=Deadline.objects.open().values("pk")) & fell_due)
    )


def _with_related(deadlines):
    return deadlines.select_related(
        "recommendation__report", "organisation", "supersedes", "superseded_by"
    )


def changes_of_deadline(
    deadline: Deadline, since: datetime.date, until: datetime.date
) -> list[Change]:
    recommendation = deadline.recommendation
    by = f" {deadline.organisation.name} promised:" if deadline.organisation_id else ""
    promise = f"{by} {deadline.commitment}, {due_words(deadline)}.".strip()

    def change(kind: str, at: datetime.datetime, title: str, summary: str) -> Change:
        return Change(
            kind=kind,
            on=timezone.localtime(at).date(),
            at=timezone.localtime(at),
            recommendation=recommendation,
            title=f"{label(recommendation)}: {title}",
            summary=summary,
            source_url=deadline.source_url,
            source_title=deadline.source_title,
            key=change_key(kind, deadline.pk),
        )

    changes = []
    kinds = deadline_kinds(
        deadline.created_at,
        deadline.supersedes_id,
        deadline.met_on,
        deadline.withdrawn_on,
        deadline.due_date,
        deadline.is_superseded,
        since,
        until,
    )
    for kind, at in kinds:
        if kind == "deadline_moved":
            old = deadline.supersedes
            reason = f" Reason given: {deadline.change_reason}" if deadline.change_reason else ""
            changes.append(
                change(
                    kind,
                    at,
                    f"deadline moved from {describe_due(old.due_date, old.precision)} "
                    f"to {describe_due(deadline.due_date, deadline.precision)}",
                    f"{promise} This replaces {due_words(old)}.{reason}",
                )
            )
        elif kind == "deadline_set":
            changes.append(
                change(
                    kind,
                    at,
                    f"deadline set for {describe_due(deadline.due_date, deadline.precision)}",
                    promise,
                )
            )
        elif kind == "deadline_met":
            changes.append(
                change(kind, at, f"deadline met on {deadline.met_on:%-d %B %Y}", promise)
            )
        elif kind == "deadline_withdrawn":
            reason = f" Reason given: {deadline.change_reason}" if deadline.change_reason else ""
            changes.append(
                change(
                    kind,
                    at,
                    f"deadline dropped on {deadline.withdrawn_on:%-d %B %Y}",
                    f"{promise}{reason}",
                )
            )
        else:
            overdue_from = deadline.due_date + datetime.timedelta(days=1)
            changes.append(
                change(
                    kind,
                    at,
                    f"overdue since {overdue_from:%-d %B %Y}",
                    f"{promise} It was neither met nor replaced by its due date.",
                )
            )
    return changes


def deadline_kinds(
    created_at: datetime.datetime,
    supersedes_id: int | None,
    met_on: datetime.date | None,
    withdrawn_on: datetime.date | None,
    due_date: datetime.date,
    is_superseded: bool,
    since: datetime.date,
    until: datetime.date,
    day_start=start_of_day,
) -> list[tuple[str, datetime.datetime]]:
    """The changes one deadline made in the period: (kind, when) pairs, from its own columns.

    `day_start` is `start_of_day`, cached when this is called for many deadlines.
    """
    kinds = []
    if day_start(since) <= created_at < day_start(until + ONE_DAY):
        kinds.append(("deadline_moved" if supersedes_id else "deadline_set", created_at))
    if met_on and since <= met_on <= until:
        kinds.append(("deadline_met", day_start(met_on)))
    if withdrawn_on and since <= withdrawn_on <= until:
        kinds.append(("deadline_withdrawn", day_start(withdrawn_on)))
    overdue_from = due_date + ONE_DAY
    is_open = not (met_on or withdrawn_on or is_superseded)
    if is_open and since <= overdue_from <= until:
        kinds.append(("deadline_overdue", day_start(overdue_from)))
    return kinds


KEY_PREFIXES = {
    kind: "update-" if kind in {"update", "correction"} else f"{kind.replace('_', '-')}-"
    for kind in KIND_LABELS
}


def change_key(kind: str, pk: int) -> str:
    return f"{KEY_PREFIXES[kind]}{pk}"


def newest_first(changes: Iterable[Change]) -> list[Change]:
    """The order of every list of changes: latest first, then by key."""
    return sorted(changes, key=lambda change: (change.at, change.key), reverse=True)


@dataclass
class LatestChanges:
    """Per kind: how many changes the period holds, and the latest few of them, latest first."""

    counts: dict[str, int]
    latest: dict[str, list[Change]]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def merged(self, kinds: Iterable[str] = KIND_LABELS) -> list[Change]:
        """The changes held of these kinds, latest first. The latest `limit` of each kind hold
        the latest `limit` of all of them together."""
        return newest_first(change for kind in kinds for change in self.latest[kind])


def latest_changes(since: datetime.date, until: datetime.date, limit: int | None) -> LatestChanges:
    """The latest `limit` changes of each kind (all of them when `limit` is None) from `since` to
    `until` (both inclusive), and how many there are of each: four queries whatever the number.
    Which changes there are is read from a few columns of each row; only the rows shown are then
    loaded whole."""
    if until < since:
        raise ValueError("The end of the period comes before its start.")
    candidates: dict[str, list[tuple[datetime.datetime, str, int]]] = {k: [] for k in KIND_LABELS}
    updates = _updates_in(since, until)
    for pk, published_at, corrects_id in updates.values_list(
        "pk", "published_at", "corrects_id"
    ).order_by():
        kind = "correction" if corrects_id else "update"
        candidates[kind].append((published_at, change_key(kind, pk), pk))
    day_start = functools.cache(start_of_day)  # a few distinct days for thousands of rows
    deadlines = _deadlines_in(since, until).annotate(superseded=superseded_exists())
    for pk, *columns in deadlines.values_list(
        "pk", "created_at", "supersedes_id", "met_on", "withdrawn_on", "due_date", "superseded"
    ).order_by():
        for kind, at in deadline_kinds(*columns, since, until, day_start):
            candidates[kind].append((at, change_key(kind, pk), pk))

    # The order of `newest_first`: latest first, then by key.
    chosen = {
        kind: rows if limit is None else heapq.nlargest(limit, rows)
        for kind, rows in candidates.items()
    }
    keys = {key for rows in chosen.values() for _at, key, _pk in rows}
    update_pks = [pk for k in ("update", "correction") for _at, _key, pk in chosen[k]]
    deadline_pks = {
        pk for k, rows in chosen.items() if k not in {"update", "correction"} for *_, pk in rows
    }
    shown = []
    if update_pks:
        related = updates.filter(pk__in=update_pks).select_related(
            "recommendation__report", "organisation", "corrects"
        )
        shown += [change_of_update(update) for update in related]
    if deadline_pks:
        for deadline in _with_related(Deadline.objects.filter(pk__in=deadline_pks)):
            shown += [c for c in changes_of_deadline(deadline, since, until) if c.key in keys]
    latest: dict[str, list[Change]] = {kind: [] for kind in KIND_LABELS}
    for change in newest_first(shown):
        latest[change.kind].append(change)
    return LatestChanges(
        counts={kind: len(rows) for kind, rows in candidates.items()}, latest=latest
    )
