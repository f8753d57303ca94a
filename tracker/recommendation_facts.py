"""The facts a recommendation page tells: each owner's own status and the story of each deadline."""

from __future__ import annotations

from dataclasses import dataclass, field

from tracker.as_of import AsOf
from tracker.models import Deadline, Ownership, Recommendation, StatusUpdate
from tracker.periods import Precision, describe_due

NUMBER_WORDS = {1: "once", 2: "twice"}


@dataclass
class OwnerStatus:
    ownership: Ownership
    update: StatusUpdate | None


@dataclass
class OwnerStatuses:
    rows: list[OwnerStatus]
    differ: bool


def owner_statuses(
    recommendation: Recommendation, ownerships: list[Ownership], updates: list[StatusUpdate]
) -> OwnerStatuses:
    """Each owner's latest update about its own part (`updates` come newest first)."""
    latest: dict[int, StatusUpdate] = {}
    for update in updates:
        if update.organisation_id and update.organisation_id not in latest:
            latest[update.organisation_id] = update
    rows = [OwnerStatus(o, latest.get(o.organisation_id)) for o in ownerships]
    differ = any(
        row.update is not None and row.update.status != recommendation.status_then for row in rows
    )
    return OwnerStatuses(rows=rows, differ=differ)


@dataclass
class DeadlineStory:
    """One promise and every time it moved, oldest first."""

    steps: list[Deadline]
    summary: str
    is_overdue: bool = False
    days_overdue: int = 0
    overdue_since: object = None
    notes: list[str] = field(default_factory=list)

    @property
    def current(self) -> Deadline:
        return self.steps[-1]


def period_words(deadline: Deadline) -> str:
    """“the end of 2025”, “Q1 2026”, “March 2026”, “31 March 2026”."""
    if deadline.precision == Precision.YEAR:
        return f"the end of {deadline.due_date.year}"
    return describe_due(deadline.due_date, deadline.precision)


def _uk(day) -> str:
    return f"{day.day} {day:%B %Y}"


def deadline_stories(deadlines: list[Deadline], as_of: AsOf) -> list[DeadlineStory]:
    """Chains of deadlines (each superseding the one before), told in one sentence each."""
    day = as_of.day

    def known(deadline: Deadline) -> bool:
        return not as_of.is_past or deadline.promised_on is None or deadline.promised_on <= day

    visible = [d for d in deadlines if known(d)]
    by_previous = {d.supersedes_id: d for d in visible if d.supersedes_id}
    visible_ids = {d.pk for d in visible}
    stories = []
    for first in visible:
        if first.supersedes_id in visible_ids:
            continue
        steps = [first]
        while steps[-1].pk in by_previous:
            steps.append(by_previous[steps[-1].pk])
        stories.append(_tell(steps, as_of))
    stories.sort(key=lambda story: story.current.due_date)
    return stories


def _tell(steps: list[Deadline], as_of: AsOf) -> DeadlineStory:
    day = as_of.day
    first, current = steps[0], steps[-1]
    promised = f" on {_uk(first.promised_on)}" if first.promised_on else ""
    parts = [f"First promised{promised} for {period_words(first)}"]
    moves = len(steps) - 1
    if moves:
        parts.append(f"moved {NUMBER_WORDS.get(moves, f'{moves} times')}")
    story = DeadlineStory(steps=steps, summary="")
    due = period_words(current)
    if current.met_on and current.met_on <= day:
        timing = "on time" if current.met_on <= current.due_date else "late"
        parts.append(f"met on {_uk(current.met_on)} ({timing})")
    elif current.withdrawn_on and current.withdrawn_on <= day:
        parts.append(f"withdrawn on {_uk(current.withdrawn_on)} without a new date")
    else:
        parts.append(f"now due {due}" if moves else f"due {due}")
        if current.due_date < day:
            story.is_overdue = True
            story.days_overdue = (day - current.due_date).days
            if current.overdue_since and not as_of.is_past:
                story.overdue_since = current.overdue_since
    story.summary = "; ".join(parts) + "."
    return story
