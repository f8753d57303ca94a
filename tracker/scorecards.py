"""Accountability figures for reports and owners, as they stood on a day.

Each function runs a fixed number of queries whatever the number of recommendations: rows are read
once with their as-of annotations (`tracker.as_of`) and counted in Python.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef

from tracker.as_of import AsOf, deadlines_known_on, known_on, recommendations_as_of
from tracker.models import (
    Deadline,
    ImplementationStatus,
    Organisation,
    Ownership,
    Recommendation,
    Report,
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

    report: Report
    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    no_deadline: int = 0
    days_since_published: int = 0

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
    def description(self) -> str:
        """The progress bar in words, for screen readers."""
        parts = [f"{s.count} {s.label.lower()}" for s in self.segments if s.count]
        return f"{self.total} recommendations: " + ", ".join(parts) if parts else "None"


def _recommendation_rows(as_of: AsOf, queryset=None) -> list[dict]:
    return list(
        recommendations_as_of(as_of, queryset).values(
            "id",
            "report_id",
            "report__published_on",
            "status_then",
            "is_overdue",
            "oldest_overdue_due",
            "has_deadline",
            "last_update_on",
        )
    )


def report_scorecards(as_of: AsOf, reports: list[Report] | None = None) -> list[Scorecard]:
    """A scorecard per report (reports published after the day are left out)."""
    if reports is None:
        reports = list(Report.objects.filter(published_on__lte=as_of.day))
    cards = {
        report.pk: Scorecard(
            report=report, days_since_published=(as_of.day - report.published_on).days
        )
        for report in reports
    }
    queryset = None
    if len(cards) == 1:
        queryset = Recommendation.objects.filter(report_id=next(iter(cards)))
    # Counted in SQL, grouped by report and the three facts: a few hundred rows at most, and only
    # the annotations a scorecard needs are computed.
    groups = (
        recommendations_as_of(as_of, queryset)
        .values("report_id", "status_then", "is_overdue", "has_deadline")
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
    return list(cards.values())


# --- Owners --------------------------------------------------------------------------------------


@dataclass
class OwnerRecord:
    """One organisation's record on time as well as status."""

    organisation: Organisation
    owned: int = 0
    lead: int = 0
    implemented: int = 0
    overdue: int = 0
    oldest_overdue_days: int | None = None
    met_on_time: int = 0
    met_late: int = 0
    moved: int = 0
    longest_silence_days: int | None = None
    longest_silence_never_updated: bool = False


def owner_records(
    as_of: AsOf, organisations: list[Organisation] | None = None
) -> list[OwnerRecord]:
    """The league table: every organisation that owns a recommendation, worst timeliness first."""
    day = as_of.day
    ownerships = list(
        Ownership.objects.filter(recommendation__report__published_on__lte=day).values(
            "organisation_id", "recommendation_id", "role"
        )
    )
    if organisations is None:
        owning = {o["organisation_id"] for o in ownerships}
        organisations = list(Organisation.objects.filter(pk__in=owning))
    records = {org.pk: OwnerRecord(organisation=org) for org in organisations}
    rows = {row["id"]: row for row in _recommendation_rows(as_of)}
    lead_of = {}
    for ownership in ownerships:
        if ownership["role"] == Ownership.Role.LEAD:
            lead_of[ownership["recommendation_id"]] = ownership["organisation_id"]
        record = records.get(ownership["organisation_id"])
        row = rows.get(ownership["recommendation_id"])
        if record is None or row is None:
            continue
        _count_recommendation(record, row, day, ownership["role"])

    moved = Deadline.objects.filter(supersedes=OuterRef("pk"))
    if as_of.is_past:
        moved = moved.filter(known_on(day))
    deadlines = deadlines_known_on(day, as_of.today).annotate(was_moved=Exists(moved))
    for deadline in deadlines.values(
        "recommendation_id", "organisation_id", "due_date", "met_on", "was_moved"
    ):
        owner = deadline["organisation_id"] or lead_of.get(deadline["recommendation_id"])
        record = records.get(owner)
        if record is None:
            continue
        record.moved += bool(deadline["was_moved"])
        met_on = deadline["met_on"]
        if met_on is not None and met_on <= day:
            if met_on <= deadline["due_date"]:
                record.met_on_time += 1
            else:
                record.met_late += 1
    return sorted(
        records.values(),
        key=lambda r: (-(r.oldest_overdue_days or -1), -r.overdue, r.organisation.name),
    )


def _count_recommendation(record: OwnerRecord, row: dict, day: datetime.date, role: str) -> None:
    record.owned += 1
    record.lead += role == Ownership.Role.LEAD
    record.implemented += row["status_then"] == ImplementationStatus.IMPLEMENTED
    if row["is_overdue"]:
        record.overdue += 1
        days = (day - row["oldest_overdue_due"]).days
        record.oldest_overdue_days = max(record.oldest_overdue_days or 0, days)
    if row["status_then"] in CLOSED_STATUSES:
        return
    last = row["last_update_on"]
    silence = (day - (last or row["report__published_on"])).days
    if record.longest_silence_days is None or silence > record.longest_silence_days:
        record.longest_silence_days = silence
        record.longest_silence_never_updated = last is None
