"""Accountability figures for reports and owners, as they stood on a day.

Each function runs a fixed number of queries whatever the number of recommendations: rows are read
once with their as-of annotations (`tracker.as_of`) and counted in Python.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import BooleanField, Case, Count, Max, Min, Q, QuerySet, Value, When

from tracker.as_of import (
    AsOf,
    deadlines_known_on,
    deadlines_overdue_on,
    published_updates_as_of,
    recommendations_as_of,
)
from tracker.models import (
    Account,
    ImplementationStatus,
    Organisation,
    Ownership,
    Recommendation,
    Report,
    replaced_after_due_exists,
    superseded_exists,
)

# The order statuses are shown in, from done to not yet known.
STATUS_ORDER = [
    ImplementationStatus.IMPLEMENTED,
    ImplementationStatus.PARTIALLY_IMPLEMENTED,
    ImplementationStatus.IN_PROGRESS,
    ImplementationStatus.NOT_STARTED,
    ImplementationStatus.NOT_BEING_IMPLEMENTED,
    ImplementationStatus.NOT_YET_ASSESSED,
]
CLOSED_STATUSES = {ImplementationStatus.IMPLEMENTED, ImplementationStatus.NOT_BEING_IMPLEMENTED}


@dataclass
class StatusCount:
    status: str
    label: str
    count: int
    offset_percent: float = 0.0
    percent: float = 0.0


@dataclass
class Scorecard:
    """One report's figures on a day."""

    report: Report | None
    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    no_deadline: int = 0
    days_since_published: int = 0
    # Whose account each headline status is (the headline rule), and how many accounts disagree.
    by_account: dict[str, int] = field(default_factory=dict)
    disputed: int = 0
    # Not answered, or left under consideration, past the date due (`tracker.response_clocks`).
    response_late: int = 0
    # Late: overdue or response late (each recommendation once, however many of the two).
    late: int = 0

    @property
    def late_both(self) -> int:
        """Recommendations both overdue and response late (counted once in `late`)."""
        return self.overdue + self.response_late - self.late

    @property
    def segments(self) -> list[StatusCount]:
        """Every status with its count and its share, for the progress bar and its legend."""
        segments, offset = [], 0.0
        for status in STATUS_ORDER:
            count = self.by_status.get(status, 0)
            percent = 100 * count / self.total if self.total else 0.0
            segments.append(
                StatusCount(status, ImplementationStatus(status).label, count, offset, percent)
            )
            offset += percent
        return segments

    @property
    def implemented(self) -> int:
        return self.by_status.get(ImplementationStatus.IMPLEMENTED, 0)

    @property
    def owner_word_only(self) -> int:
        """Headline statuses that rest on the owner's statement alone (no independent one)."""
        return self.by_account.get("owner", 0)

    @property
    def independently_assessed(self) -> int:
        return self.by_account.get("independent", 0)

    @property
    def description(self) -> str:
        """The progress bar in words, for screen readers."""
        parts = [f"{s.count} {s.label.lower()}" for s in self.segments if s.count]
        return f"{self.total} recommendations: " + ", ".join(parts) if parts else "None"


@dataclass
class Totals(Scorecard):
    """The figures of several reports added together."""

    reports: int = 0


def combined(cards: list[Scorecard]) -> Totals:
    """The cards' figures added together."""
    totals = Totals(report=None, reports=len(cards))
    for card in cards:
        totals.total += card.total
        totals.overdue += card.overdue
        totals.no_deadline += card.no_deadline
        totals.disputed += card.disputed
        totals.response_late += card.response_late
        totals.late += card.late
        for status, count in card.by_status.items():
            totals.by_status[status] = totals.by_status.get(status, 0) + count
        for account, count in card.by_account.items():
            totals.by_account[account] = totals.by_account.get(account, 0) + count
    return totals


def most_late(cards: list[Scorecard], limit: int) -> list[Scorecard]:
    """The `limit` reports with the most late recommendations, then the most recent."""
    ranked = sorted(
        cards,
        key=lambda card: (-card.late, -card.report.published_on.toordinal(), card.report.slug),
    )
    return ranked[:limit]


def report_scorecards(as_of: AsOf, reports: list[Report] | None = None) -> list[Scorecard]:
    """A scorecard per public report (reports published after the day are left out)."""
    if reports is None:
        reports = list(Report.objects.public().filter(published_on__lte=as_of.day))
    cards = {
        report.pk: Scorecard(
            report=report, days_since_published=(as_of.day - report.published_on).days
        )
        for report in reports
    }
    queryset = None
    if len(cards) == 1:
        queryset = Recommendation.objects.filter(report_id=next(iter(cards)))
    rows = recommendations_as_of(as_of, queryset, responses=False)
    if as_of.is_past:
        count_then(cards, rows)
    else:
        count_today(cards, rows)
    return list(cards.values())


def count_today(cards: dict[int, Scorecard], rows: QuerySet) -> None:
    """Today's figures: one row per report, each figure a filtered count. Today's status,
    account, disagreement and response clock are stored columns, so each filter is cheap."""
    counts = {
        "total": Count("id"),
        "overdue": Count("id", filter=Q(is_overdue=True)),
        "no_deadline": Count("id", filter=Q(has_deadline=False)),
        "disputed": Count("id", filter=Q(is_disputed=True)),
        "response_late": Count("id", filter=Q(is_response_late=True)),
        "late": Count("id", filter=Q(is_overdue=True) | Q(is_response_late=True)),
    }
    for status in ImplementationStatus:
        counts[f"status:{status}"] = Count("id", filter=Q(status_then=status))
    for account in [*Account, None]:
        counts[f"account:{account or ''}"] = Count(
            "id",
            filter=Q(status_then_account=account) if account else Q(status_then_account=None),
        )
    for row in rows.values("report_id").annotate(**counts).order_by():
        card = cards.get(row["report_id"])
        if card is None:
            continue
        for name in ("total", "overdue", "no_deadline", "disputed", "response_late", "late"):
            setattr(card, name, row[name])
        for key, count in row.items():
            kind, _, value = key.partition(":")
            if count and kind == "status":
                card.by_status[value] = count
            elif count and kind == "account":
                card.by_account[value] = count


def count_then(cards: dict[int, Scorecard], rows: QuerySet) -> None:
    """A past day's figures: grouped by report and the facts, a few thousand rows at most.
    (There the status and the account are subqueries: filtered counts would repeat them.)"""
    groups = (
        rows.values(
            "report_id",
            "status_then",
            "status_then_account",
            "is_disputed",
            "is_response_late",
            "is_overdue",
            "has_deadline",
        )
        .annotate(count=Count("id"))
        .order_by()
    )
    for row in groups:
        card = cards.get(row["report_id"])
        if card is None:
            continue
        card.total += row["count"]
        status = row["status_then"]
        card.by_status[status] = card.by_status.get(status, 0) + row["count"]
        card.overdue += row["count"] if row["is_overdue"] else 0
        card.no_deadline += 0 if row["has_deadline"] else row["count"]
        account = row["status_then_account"] or ""
        card.by_account[account] = card.by_account.get(account, 0) + row["count"]
        card.disputed += row["count"] if row["is_disputed"] else 0
        card.response_late += row["count"] if row["is_response_late"] else 0
        card.late += row["count"] if row["is_overdue"] or row["is_response_late"] else 0


# --- Owners --------------------------------------------------------------------------------------


@dataclass
class OwnerRecord:
    """One organisation's record on time as well as status."""

    organisation: Organisation
    owned: int = 0
    lead: int = 0
    implemented: int = 0
    # Late: overdue (any it owns) or response late (those it leads), each recommendation once.
    late: int = 0
    overdue: int = 0
    oldest_overdue_days: int | None = None
    # Recommendations it leads whose response, or a promised decision, is late.
    response_late: int = 0
    met_on_time: int = 0
    met_late: int = 0
    missed: int = 0  # deadlines missed: a source says so, or replaced after they fell due
    moved: int = 0
    longest_silence_days: int | None = None
    longest_silence_never_updated: bool = False

    @property
    def late_both(self) -> int:
        """Recommendations both overdue and response late (counted once in `late`)."""
        return self.overdue + self.response_late - self.late


class Standing(NamedTuple):
    """How one recommendation stood on a day, as the owners' figures count it."""

    published_on: datetime.date  # its report's
    number: int
    status: str
    oldest_overdue_due: datetime.date | None  # None: not overdue
    last_update_on: datetime.date | None  # the date its latest published update describes
    response_late: bool = False  # its (lead owner's) response or decision is late


def standings(as_of: AsOf, recommendation_ids=None) -> dict[int, Standing]:
    """Per recommendation of a report published by the day (or of those given), in three queries:
    the recommendations, their overdue deadlines and their latest updates, each read once."""
    day = as_of.day
    recommendations = Recommendation.objects.public().filter(report__published_on__lte=day)
    overdue = deadlines_overdue_on(day, as_of.today).public()
    updates = published_updates_as_of(as_of)
    if recommendation_ids is not None:
        recommendations = recommendations.filter(pk__in=recommendation_ids)
        overdue = overdue.filter(recommendation_id__in=recommendation_ids)
        updates = updates.filter(recommendation_id__in=recommendation_ids)
    oldest_due = dict(
        overdue.values_list("recommendation_id").annotate(oldest=Min("due_date")).order_by()
    )
    latest_on = dict(
        updates.values_list("recommendation_id").annotate(latest=Max("describes_on")).order_by()
    )
    rows = (
        recommendations_as_of(as_of, recommendations, accounts=False, responses=False)
        .values_list("id", "report__published_on", "number", "status_then", "is_response_late")
        .order_by()
    )
    return {
        pk: Standing(
            published_on, number, status, oldest_due.get(pk), latest_on.get(pk), response_late
        )
        for pk, published_on, number, status, response_late in rows
    }


def owner_records(
    as_of: AsOf,
    organisations: list[Organisation] | None = None,
    standing: dict[int, Standing] | None = None,
) -> list[OwnerRecord]:
    """The league table: every organisation that owns a recommendation, worst timeliness first.

    Given `organisations`, only their records are counted (and only what they own is read);
    `standing` is `standings(as_of)` when the caller has it already.
    """
    day = as_of.day
    ownerships = Ownership.objects.public().values_list(
        "organisation_id", "recommendation_id", "role"
    )
    known_on = day if as_of.is_past else None
    moved = superseded_exists(as_known_on=known_on)
    missed = Q(missed_on__lte=day) | Q(replaced_after_due_exists(as_known_on=known_on))
    deadlines = (
        deadlines_known_on(day, as_of.today)
        .public()
        .filter(recommendation__report__published_on__lte=day)
    )
    if organisations is not None:
        owned = (
            Ownership.objects.public()
            .filter(organisation__in=organisations)
            .values("recommendation")
        )
        ownerships = ownerships.filter(organisation__in=organisations)
        deadlines = deadlines.filter(
            Q(organisation__in=organisations) | Q(recommendation__in=owned)
        )
        if standing is None:
            standing = standings(as_of, owned)
    elif standing is None:
        standing = standings(as_of)
    ownerships = [o for o in ownerships.order_by() if o[1] in standing]
    if organisations is None:
        organisations = list(Organisation.objects.filter(pk__in={o[0] for o in ownerships}))
    records = {org.pk: OwnerRecord(organisation=org) for org in organisations}
    lead_of = {}
    for organisation_id, recommendation_id, role in ownerships:
        if role == Ownership.Role.LEAD:
            lead_of[recommendation_id] = organisation_id
        record = records.get(organisation_id)
        if record is not None:
            _count_recommendation(record, standing[recommendation_id], day, role)

    was_missed = Case(
        When(missed, then=Value(True)), default=Value(False), output_field=BooleanField()
    )
    rows = (
        deadlines.annotate(was_moved=moved, was_missed=was_missed)
        .values_list(
            "recommendation_id", "organisation_id", "due_date", "met_on", "was_moved", "was_missed"
        )
        .order_by()
    )
    for recommendation_id, organisation_id, due_date, met_on, was_moved, was_missed in rows:
        record = records.get(organisation_id or lead_of.get(recommendation_id))
        if record is None:
            continue
        record.moved += bool(was_moved)
        record.missed += bool(was_missed)
        if met_on is not None and met_on <= day:
            if met_on <= due_date:
                record.met_on_time += 1
            else:
                record.met_late += 1
    return sorted(
        records.values(),
        key=lambda r: (-(r.oldest_overdue_days or -1), -r.overdue, r.organisation.name),
    )


def _count_recommendation(
    record: OwnerRecord, standing: Standing, day: datetime.date, role: str
) -> None:
    record.owned += 1
    leads = role == Ownership.Role.LEAD
    record.lead += leads
    record.implemented += standing.status == ImplementationStatus.IMPLEMENTED
    overdue = standing.oldest_overdue_due is not None
    response_late = leads and standing.response_late
    record.late += overdue or response_late
    record.response_late += response_late
    if overdue:
        record.overdue += 1
        days = (day - standing.oldest_overdue_due).days
        record.oldest_overdue_days = max(record.oldest_overdue_days or 0, days)
    if standing.status in CLOSED_STATUSES:
        return
    last = standing.last_update_on
    silence = (day - (last or standing.published_on)).days
    if record.longest_silence_days is None or silence > record.longest_silence_days:
        record.longest_silence_days = silence
        record.longest_silence_never_updated = last is None
