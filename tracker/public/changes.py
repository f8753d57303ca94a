"""What changed between two days: the `/changes/` page and the changes feeds.

Two views, never mixed (`Basis`):

**What happened** (the default): each fact is dated by the day it describes, so "since D" means
"developments since D", whenever they were entered:
- `update`, `correction`: a published status update, on the day it describes (`describes_on`);
- `response`: a response was given (`responded_on`);
- `deadline_set`, `deadline_moved`: a deadline was promised, or a new one replaced an earlier
  one, on the day it was promised (`promised_on`; a deadline whose promise date is not known is
  only in the other view);
- `deadline_met`, `deadline_withdrawn`, `deadline_missed`: on the day it was met, dropped, or a
  source said it was missed;
- `deadline_overdue`: an open deadline passed its due date with no report of delivery, so it is
  past due from the day after;
- `response_late`: a recommendation's response, or a promised decision, became late (the day
  after it was due: `tracker.response_clocks`), for those still late today.

**What was recorded**: each entry dated by when the tracker recorded it, so "since D" means "since
I last looked": updates by `published_at`, deadlines and responses by `created_at`, and deadlines
met, dropped or reported missed by the last change of their row (`updated_at`). A date passing is
recorded by nobody, so deadlines passing and responses becoming late are only in the first view.
Entries recorded on the day their report was first loaded are counted apart, as that report's
initial load: they are the record catching up with the past, not news.

Drafts are never changes, and nothing of an unpublished report is (`public()` in
`tracker.models`). A fixed number of queries, whatever the number of changes.
"""

from __future__ import annotations

import datetime
import functools
import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q
from django.utils import timezone

from tracker.as_of import with_headline_response
from tracker.models import (
    Deadline,
    Recommendation,
    Response,
    ResponseKind,
    Source,
    StatusUpdate,
    superseded_exists,
)
from tracker.periods import describe_due
from tracker.response_clocks import response_late_words

ONE_DAY = datetime.timedelta(days=1)


class Basis(models.TextChoices):
    HAPPENED = "happened", "What happened"
    RECORDED = "recorded", "What was recorded"


KIND_LABELS = {
    "update": "New update",
    "correction": "Correction",
    "response": "Response given",
    "deadline_set": "Deadline set",
    "deadline_moved": "Deadline moved",
    "deadline_met": "Deadline met",
    "deadline_withdrawn": "Deadline dropped",
    "deadline_missed": "Deadline missed",
    "deadline_overdue": "Deadline passed",
    "response_late": "Response late",
}
UPDATE_KINDS = {"update", "correction"}


@dataclass(frozen=True)
class Change:
    """One dated change. `key` is stable and unique, for feed entry ids and page anchors."""

    kind: str
    on: datetime.date
    at: datetime.datetime
    recommendation: Recommendation
    title: str
    summary: str
    source: Source | None
    reported: bool
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


def local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def label(recommendation: Recommendation) -> str:
    return f"{recommendation.report.short_name} {recommendation.number}"


def due_words(deadline: Deadline) -> str:
    return f"“{deadline.stated_as}” ({describe_due(deadline.due_date, deadline.precision)})"


def _between(field: str, since: datetime.date, until: datetime.date, moment: bool) -> Q:
    if moment:
        return Q(
            **{f"{field}__gte": start_of_day(since), f"{field}__lt": start_of_day(until + ONE_DAY)}
        )
    return Q(**{f"{field}__gte": since, f"{field}__lte": until})


def _updates_in(since: datetime.date, until: datetime.date, basis: str):
    if basis == Basis.HAPPENED:
        return StatusUpdate.objects.public().filter(_between("describes_on", since, until, False))
    return StatusUpdate.objects.public().filter(_between("published_at", since, until, True))


def _responses_in(since: datetime.date, until: datetime.date, basis: str):
    given = Response.objects.public().exclude(kind=ResponseKind.AWAITING)
    if basis == Basis.HAPPENED:
        return given.filter(_between("responded_on", since, until, False))
    return given.filter(_between("created_at", since, until, True))


def _deadlines_in(since: datetime.date, until: datetime.date, basis: str):
    """Deadlines with a change in the period (a superset: `deadline_kinds` says which)."""
    deadlines = Deadline.objects.public()
    if basis == Basis.RECORDED:
        return deadlines.filter(
            _between("created_at", since, until, True)
            | (
                _between("updated_at", since, until, True)
                & (
                    Q(met_on__isnull=False)
                    | Q(withdrawn_on__isnull=False)
                    | Q(missed_on__isnull=False)
                )
            )
        )
    # A deadline falls past due the day after it is due, so those due in [since - 1, until - 1].
    fell_due = Q(due_date__gte=since - ONE_DAY, due_date__lt=until)
    return deadlines.filter(
        _between("promised_on", since, until, False)
        | _between("met_on", since, until, False)
        | _between("withdrawn_on", since, until, False)
        | _between("missed_on", since, until, False)
        | (Q(pk__in=Deadline.objects.open().values("pk")) & fell_due)
    )


def change_of_update(update: StatusUpdate, basis: str) -> Change:
    is_correction = update.corrects_id is not None
    scope = f" ({update.organisation.name}'s part)" if update.organisation_id else ""
    title = f"{label(update.recommendation)}{scope}: {update.get_status_display()}"
    giver = f" ({update.account_by})" if update.account_by else ""
    summary = (
        f"{update.summary} Describes {update.describes_on:%-d %B %Y}; "
        f"{update.get_account_display().lower()}{giver}."
    )
    if is_correction:
        summary = (
            f"Corrects the update describing {update.corrects.describes_on:%-d %B %Y}. " + summary
        )
    if basis == Basis.HAPPENED:
        at = start_of_day(update.describes_on)
    else:
        at = timezone.localtime(update.published_at)
    kind = "correction" if is_correction else "update"
    return Change(
        kind=kind,
        on=at.date(),
        at=at,
        recommendation=update.recommendation,
        title=title,
        summary=summary,
        source=update.source,
        reported=update.source_is_a_report,
        key=change_key(kind, update.pk),
    )


def change_of_response(response: Response, basis: str) -> Change:
    at = (
        start_of_day(response.responded_on)
        if basis == Basis.HAPPENED
        else timezone.localtime(response.created_at)
    )
    said = f" {response.summary}" if response.summary else ""
    return Change(
        kind="response",
        on=at.date(),
        at=at,
        recommendation=response.recommendation,
        title=f"{label(response.recommendation)}: {response.organisation.name} "
        f"{response.get_kind_display().lower()}",
        summary=f"Response given on {response.responded_on:%-d %B %Y}.{said}",
        source=response.source,
        reported=True,
        key=change_key("response", response.pk),
    )


def _with_related(deadlines):
    return deadlines.select_related(
        "recommendation__report",
        "organisation",
        "supersedes",
        "superseded_by",
        "missed_source",
        "source",
    )


def changes_of_deadline(
    deadline: Deadline, since: datetime.date, until: datetime.date, basis: str
) -> list[Change]:
    recommendation = deadline.recommendation
    by = f" {deadline.organisation.name} promised:" if deadline.organisation_id else ""
    promise = f"{by} {deadline.commitment}, {due_words(deadline)}.".strip()

    def change(kind: str, at: datetime.datetime, title: str, summary: str, source=None) -> Change:
        return Change(
            kind=kind,
            on=timezone.localtime(at).date(),
            at=timezone.localtime(at),
            recommendation=recommendation,
            title=f"{label(recommendation)}: {title}",
            summary=summary,
            source=source or deadline.source,
            reported=True,
            key=change_key(kind, deadline.pk),
        )

    changes = []
    kinds = deadline_kinds(
        DeadlineColumns(
            created_at=deadline.created_at,
            updated_at=deadline.updated_at,
            supersedes_id=deadline.supersedes_id,
            promised_on=deadline.promised_on,
            met_on=deadline.met_on,
            withdrawn_on=deadline.withdrawn_on,
            missed_on=deadline.missed_on,
            due_date=deadline.due_date,
            superseded=deadline.is_superseded,
        ),
        since,
        until,
        basis,
    )
    reason = f" Reason given: {deadline.change_reason}" if deadline.change_reason else ""
    for kind, at in kinds:
        if kind == "deadline_moved":
            old = deadline.supersedes
            missed = ""
            if deadline.promised_on and deadline.promised_on > old.due_date:
                missed = " The earlier date had already passed: it counts as missed."
            changes.append(
                change(
                    kind,
                    at,
                    f"deadline moved from {describe_due(old.due_date, old.precision)} "
                    f"to {describe_due(deadline.due_date, deadline.precision)}",
                    f"{promise} This replaces {due_words(old)}.{missed}{reason}",
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
            changes.append(
                change(
                    kind,
                    at,
                    f"deadline dropped on {deadline.withdrawn_on:%-d %B %Y}",
                    f"{promise}{reason}",
                )
            )
        elif kind == "deadline_missed":
            changes.append(
                change(
                    kind,
                    at,
                    f"deadline missed, as a source said on {deadline.missed_on:%-d %B %Y}",
                    promise,
                    deadline.missed_source,
                )
            )
        else:
            past_due_from = deadline.due_date + ONE_DAY
            changes.append(
                change(
                    kind,
                    at,
                    f"past due since {past_due_from:%-d %B %Y}",
                    f"{promise} Its due date passed with no report of delivery recorded here.",
                )
            )
    return changes


def change_of_response_late(recommendation: Recommendation) -> Change:
    """The day a recommendation's response, or a promised decision, became late."""
    late_from = recommendation.response_late_since
    undecided = recommendation.headline_response == ResponseKind.UNDER_CONSIDERATION
    report = recommendation.report
    at = start_of_day(late_from)
    return Change(
        kind="response_late",
        on=late_from,
        at=at,
        recommendation=recommendation,
        title=f"{label(recommendation)}: {'decision' if undecided else 'response'} late",
        summary=response_late_words(recommendation, late_from),
        source=None if undecided else report.response_due_source,
        reported=True,
        key=change_key("response_late", recommendation.pk),
    )


@dataclass(frozen=True)
class DeadlineColumns:
    """The columns of a deadline that say which changes it made, and when."""

    created_at: datetime.datetime
    updated_at: datetime.datetime
    supersedes_id: int | None
    promised_on: datetime.date | None
    met_on: datetime.date | None
    withdrawn_on: datetime.date | None
    missed_on: datetime.date | None
    due_date: datetime.date
    superseded: bool


DEADLINE_COLUMNS = [
    "created_at",
    "updated_at",
    "supersedes_id",
    "promised_on",
    "met_on",
    "withdrawn_on",
    "missed_on",
    "due_date",
    "superseded",
]


def deadline_kinds(
    row: DeadlineColumns,
    since: datetime.date,
    until: datetime.date,
    basis: str,
    day_start=start_of_day,
) -> list[tuple[str, datetime.datetime]]:
    """The changes one deadline made in the period: (kind, when) pairs, from its own columns.

    `day_start` is `start_of_day`, cached when this is called for many deadlines.
    """
    set_kind = "deadline_moved" if row.supersedes_id else "deadline_set"
    ends = [
        ("deadline_met", row.met_on),
        ("deadline_withdrawn", row.withdrawn_on),
        ("deadline_missed", row.missed_on),
    ]
    kinds = []
    if basis == Basis.RECORDED:
        start, end = day_start(since), day_start(until + ONE_DAY)
        if start <= row.created_at < end:
            kinds.append((set_kind, row.created_at))
        if start <= row.updated_at < end:
            kinds += [(kind, row.updated_at) for kind, on in ends if on is not None]
        return kinds
    if row.promised_on and since <= row.promised_on <= until:
        kinds.append((set_kind, day_start(row.promised_on)))
    kinds += [(kind, day_start(on)) for kind, on in ends if on and since <= on <= until]
    past_due_from = row.due_date + ONE_DAY
    is_open = not (row.met_on or row.withdrawn_on or row.superseded)
    if is_open and since <= past_due_from <= until:
        kinds.append(("deadline_overdue", day_start(past_due_from)))
    return kinds


KEY_PREFIXES = {
    kind: "update-" if kind in UPDATE_KINDS else f"{kind.replace('_', '-')}-"
    for kind in KIND_LABELS
}


def change_key(kind: str, pk: int) -> str:
    return f"{KEY_PREFIXES[kind]}{pk}"


def newest_first(changes: Iterable[Change]) -> list[Change]:
    """The order of every list of changes: latest first, then by key."""
    return sorted(changes, key=lambda change: (change.at, change.key), reverse=True)


def changes_since(
    since: datetime.date, until: datetime.date, basis: str = Basis.HAPPENED
) -> list[Change]:
    """Every change from `since` to `until` (both inclusive), latest first."""
    return latest_changes(since, until, limit=None, basis=basis).merged()


@dataclass(frozen=True)
class InitialLoad:
    """Entries recorded on the day a report was first loaded onto the tracker."""

    report_name: str
    loaded_on: datetime.date
    entries: int


@dataclass
class LatestChanges:
    """Per kind: how many changes the period holds, and the latest few of them, latest first."""

    counts: dict[str, int]
    latest: dict[str, list[Change]]
    basis: str = Basis.HAPPENED
    initial_loads: list[InitialLoad] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def initial_load_total(self) -> int:
        return sum(load.entries for load in self.initial_loads)

    def merged(self, kinds: Iterable[str] = KIND_LABELS) -> list[Change]:
        """The changes held of these kinds, latest first. The latest `limit` of each kind hold
        the latest `limit` of all of them together."""
        return newest_first(change for kind in kinds for change in self.latest[kind])


def latest_changes(
    since: datetime.date,
    until: datetime.date,
    limit: int | None,
    basis: str = Basis.HAPPENED,
) -> LatestChanges:
    """The latest `limit` changes of each kind (all of them when `limit` is None) from `since` to
    `until` (both inclusive), and how many there are of each: eight queries whatever the number.
    Which changes there are is read from a few columns of each row; only the rows shown are then
    loaded whole. In the recorded view, entries recorded on the day their report was loaded are
    counted apart (`initial_loads`)."""
    if until < since:
        raise ValueError("The end of the period comes before its start.")
    candidates: dict[str, list[tuple[datetime.datetime, str, int]]] = {k: [] for k in KIND_LABELS}
    loads: dict[tuple[str, datetime.date], int] = {}

    def add(kind: str, at: datetime.datetime, pk: int, report: str, loaded_at) -> None:
        loaded_on = local_day(loaded_at)
        if basis == Basis.RECORDED and local_day(at) == loaded_on:
            loads[report, loaded_on] = loads.get((report, loaded_on), 0) + 1
            return
        candidates[kind].append((at, change_key(kind, pk), pk))

    day_start = functools.cache(start_of_day)  # a few distinct days for thousands of rows
    report_columns = ("recommendation__report__short_name", "recommendation__report__created_at")
    updates = _updates_in(since, until, basis)
    for pk, published_at, describes_on, corrects_id, *report in updates.values_list(
        "pk", "published_at", "describes_on", "corrects_id", *report_columns
    ).order_by():
        kind = "correction" if corrects_id else "update"
        at = day_start(describes_on) if basis == Basis.HAPPENED else published_at
        add(kind, at, pk, *report)
    responses = _responses_in(since, until, basis)
    for pk, responded_on, created_at, *report in responses.values_list(
        "pk", "responded_on", "created_at", *report_columns
    ).order_by():
        at = day_start(responded_on) if basis == Basis.HAPPENED else created_at
        add("response", at, pk, *report)
    deadlines = _deadlines_in(since, until, basis).annotate(superseded=superseded_exists())
    for pk, *columns in deadlines.values_list("pk", *DEADLINE_COLUMNS, *report_columns).order_by():
        row = DeadlineColumns(*columns[: len(DEADLINE_COLUMNS)])
        report = columns[len(DEADLINE_COLUMNS) :]
        for kind, at in deadline_kinds(row, since, until, basis, day_start):
            add(kind, at, pk, *report)
    if basis == Basis.HAPPENED:
        # From the stored clock: those late today that became late in the period.
        late = Recommendation.objects.public().filter(
            response_late_from__gte=since, response_late_from__lte=until
        )
        for pk, late_from, *report in late.values_list(
            "pk", "response_late_from", "report__short_name", "report__created_at"
        ).order_by():
            add("response_late", day_start(late_from), pk, *report)

    # The order of `newest_first`: latest first, then by key.
    chosen = {
        kind: rows if limit is None else heapq.nlargest(limit, rows)
        for kind, rows in candidates.items()
    }
    keys = {key for rows in chosen.values() for _at, key, _pk in rows}
    update_pks = [pk for k in UPDATE_KINDS for _at, _key, pk in chosen[k]]
    response_pks = [pk for _at, _key, pk in chosen["response"]]
    deadline_pks = {
        pk
        for k, rows in chosen.items()
        if k not in UPDATE_KINDS and k not in ("response", "response_late")
        for *_, pk in rows
    }
    late_pks = [pk for _at, _key, pk in chosen["response_late"]]
    shown = []
    if update_pks:
        related = updates.filter(pk__in=update_pks).select_related(
            "recommendation__report", "organisation", "corrects", "source"
        )
        shown += [change_of_update(update, basis) for update in related]
    if response_pks:
        related = Response.objects.filter(pk__in=response_pks).select_related(
            "recommendation__report", "organisation", "source"
        )
        shown += [change_of_response(response, basis) for response in related]
    if late_pks:
        related = with_headline_response(
            Recommendation.objects.filter(pk__in=late_pks)
        ).select_related("report__response_due_source")
        shown += [change_of_response_late(recommendation) for recommendation in related]
    if deadline_pks:
        for deadline in _with_related(Deadline.objects.filter(pk__in=deadline_pks)):
            shown += [
                c for c in changes_of_deadline(deadline, since, until, basis) if c.key in keys
            ]
    latest: dict[str, list[Change]] = {kind: [] for kind in KIND_LABELS}
    for change in newest_first(shown):
        latest[change.kind].append(change)
    return LatestChanges(
        counts={kind: len(rows) for kind, rows in candidates.items()},
        latest=latest,
        basis=basis,
        initial_loads=[
            InitialLoad(name, day, count) for (name, day), count in sorted(loads.items())
        ],
    )
