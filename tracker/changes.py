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
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from tracker.models import Deadline, Recommendation, StatusUpdate
from tracker.periods import describe_due

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


def update_changes(since: datetime.date, until: datetime.date) -> list[Change]:
    updates = (
        StatusUpdate.objects.published()
        .filter(published_at__gte=start_of_day(since))
        .filter(published_at__lt=start_of_day(until + datetime.timedelta(days=1)))
        .select_related("recommendation__report", "organisation", "corrects")
    )
    changes = []
    for update in updates:
        is_correction = update.corrects_id is not None
        scope = f" ({update.organisation.name}'s part)" if update.organisation_id else ""
        title = f"{label(update.recommendation)}{scope}: {update.get_status_display()}"
        summary = (
            f"{update.summary} Describes {update.describes_on:%-d %B %Y}; "
            f"{update.get_account_display().lower()}."
        )
        if is_correction:
            summary = (
                f"Corrects the update describing {update.corrects.describes_on:%-d %B %Y}. "
                + summary
            )
        published_at = timezone.localtime(update.published_at)
        changes.append(
            Change(
                kind="correction" if is_correction else "update",
                on=published_at.date(),
                at=published_at,
                recommendation=update.recommendation,
                title=title,
                summary=summary,
                source_url=update.source_url,
                source_title=update.source_title,
                key=f"update-{update.pk}",
            )
        )
    return changes


def deadline_changes(since: datetime.date, until: datetime.date) -> list[Change]:
    start, end = start_of_day(since), start_of_day(until + datetime.timedelta(days=1))
    # A deadline falls overdue the day after it is due, so those due in [since - 1, until - 1].
    fell_due = Q(due_date__gte=since - datetime.timedelta(days=1), due_date__lt=until)
    deadlines = (
        Deadline.objects.filter(
            Q(created_at__gte=start, created_at__lt=end)
            | Q(met_on__gte=since, met_on__lte=until)
            | Q(withdrawn_on__gte=since, withdrawn_on__lte=until)
            | (Q(pk__in=Deadline.objects.open().values("pk")) & fell_due)
        )
        .select_related("recommendation__report", "organisation", "supersedes")
        .select_related("superseded_by")
    )
    changes = []
    for deadline in deadlines:
        changes.extend(changes_of_deadline(deadline, since, until))
    return changes


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
            key=f"{kind.replace('_', '-')}-{deadline.pk}",
        )

    changes = []
    recorded = timezone.localtime(deadline.created_at)
    if since <= recorded.date() <= until:
        if deadline.supersedes_id:
            old = deadline.supersedes
            reason = f" Reason given: {deadline.change_reason}" if deadline.change_reason else ""
            changes.append(
                change(
                    "deadline_moved",
                    deadline.created_at,
                    f"deadline moved from {describe_due(old.due_date, old.precision)} "
                    f"to {describe_due(deadline.due_date, deadline.precision)}",
                    f"{promise} This replaces {due_words(old)}.{reason}",
                )
            )
        else:
            changes.append(
                change(
                    "deadline_set",
                    deadline.created_at,
                    f"deadline set for {describe_due(deadline.due_date, deadline.precision)}",
                    promise,
                )
            )
    if deadline.met_on and since <= deadline.met_on <= until:
        changes.append(
            change(
                "deadline_met",
                start_of_day(deadline.met_on),
                f"deadline met on {deadline.met_on:%-d %B %Y}",
                promise,
            )
        )
    if deadline.withdrawn_on and since <= deadline.withdrawn_on <= until:
        reason = f" Reason given: {deadline.change_reason}" if deadline.change_reason else ""
        changes.append(
            change(
                "deadline_withdrawn",
                start_of_day(deadline.withdrawn_on),
                f"deadline dropped on {deadline.withdrawn_on:%-d %B %Y}",
                f"{promise}{reason}",
            )
        )
    overdue_from = deadline.due_date + datetime.timedelta(days=1)
    is_open = not (deadline.met_on or deadline.withdrawn_on or deadline.is_superseded)
    if is_open and since <= overdue_from <= until:
        changes.append(
            change(
                "deadline_overdue",
                start_of_day(overdue_from),
                f"overdue since {overdue_from:%-d %B %Y}",
                f"{promise} It was neither met nor replaced by its due date.",
            )
        )
    return changes


def changes_since(since: datetime.date, until: datetime.date) -> list[Change]:
    """Every change recorded from `since` to `until` (both inclusive), latest first."""
    if until < since:
        raise ValueError("The end of the period comes before its start.")
    changes = update_changes(since, until) + deadline_changes(since, until)
    return sorted(changes, key=lambda change: (change.at, change.key), reverse=True)
