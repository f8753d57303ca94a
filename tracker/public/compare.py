"""What moved between two days: the `/compare/` page and its CSV download.

Both days are read with the same definitions as every past view (`tracker.as_of`): each
recommendation's headline status and whether it was late on each day (overdue, or response late).
Between them (after the first day, up to and including the second), what happened
(`tracker.public.changes`, dated by the day each fact describes): responses given or become late,
deadlines set, moved, met, missed, dropped or passed, and the checks editors made. A fixed number
of queries, whatever the number of rows.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field

from django.conf import settings

from tracker.as_of import AsOf, recommendations_as_of
from tracker.models import Check, ImplementationStatus, Recommendation
from tracker.public.changes import Basis, latest_changes
from tracker.public.tables import neutralise_formula

ONE_DAY = datetime.timedelta(days=1)
# Kinds of change listed under "Deadlines" and "Responses", in this order.
DEADLINE_KINDS = [
    "deadline_set",
    "deadline_moved",
    "deadline_met",
    "deadline_missed",
    "deadline_withdrawn",
    "deadline_overdue",
]


@dataclass(frozen=True)
class Standing:
    status: str
    is_overdue: bool
    is_response_late: bool = False

    @property
    def is_late(self) -> bool:
        """Late: overdue, or response late (the headline figure's definition)."""
        return self.is_overdue or self.is_response_late

    @property
    def late_words(self) -> str:
        """“late (overdue; response late)”, “late (response late)”, “not late”."""
        parts = [
            words
            for words, holds in (
                ("overdue", self.is_overdue),
                ("response late", self.is_response_late),
            )
            if holds
        ]
        return f"late ({'; '.join(parts)})" if parts else "not late"


@dataclass(frozen=True)
class Moved:
    """One recommendation whose status or lateness differs between the two days."""

    recommendation: Recommendation
    before: Standing | None  # None: its report was not yet published on the first day
    after: Standing

    @property
    def before_label(self) -> str:
        if self.before is None:
            return "Not yet published"
        return ImplementationStatus(self.before.status).label

    @property
    def after_label(self) -> str:
        return ImplementationStatus(self.after.status).label

    @property
    def before_late_words(self) -> str:
        return self.before.late_words if self.before is not None else "not yet published"


@dataclass
class Comparison:
    first: datetime.date
    second: datetime.date
    status_changes: list[Moved] = field(default_factory=list)
    became_late: list[Moved] = field(default_factory=list)
    stopped_being_late: list[Moved] = field(default_factory=list)
    # Late on both days, for another reason (say, overdue now, response late then).
    late_otherwise: list[Moved] = field(default_factory=list)
    responses: list = field(default_factory=list)  # Change
    deadlines: list = field(default_factory=list)  # Change
    updates: list = field(default_factory=list)  # Change
    checks: list[Check] = field(default_factory=list)

    @property
    def total(self) -> int:
        return (
            len(self.status_changes)
            + len(self.became_late)
            + len(self.stopped_being_late)
            + len(self.late_otherwise)
            + len(self.responses)
            + len(self.deadlines)
            + len(self.checks)
        )


def standings_on(as_of: AsOf) -> dict[int, Standing]:
    rows = (
        recommendations_as_of(as_of, accounts=False, responses=False)
        .values_list("pk", "status_then", "is_overdue", "is_response_late")
        .order_by()
    )
    return {
        pk: Standing(status, bool(overdue), bool(response_late))
        for pk, status, overdue, response_late in rows
    }


def compare(first: datetime.date, second: datetime.date, today: datetime.date) -> Comparison:
    """What moved from the end of `first` to the end of `second` (`first` <= `second`)."""
    if second < first:
        raise ValueError("The second date comes before the first.")
    before = standings_on(AsOf(first, today))
    after = standings_on(AsOf(second, today))
    comparison = Comparison(first=first, second=second)
    moved: dict[str, list[tuple[int, Standing | None, Standing]]] = {
        "status": [],
        "late": [],
        "not_late": [],
        "otherwise": [],
    }
    for pk, now in after.items():
        then = before.get(pk)
        newly_assessed = then is None and now.status != ImplementationStatus.NOT_YET_ASSESSED
        if newly_assessed or (then is not None and then.status != now.status):
            moved["status"].append((pk, then, now))
        was_late = then is not None and then.is_late
        if now.is_late and not was_late:
            moved["late"].append((pk, then, now))
        if was_late and not now.is_late:
            moved["not_late"].append((pk, then, now))
        if was_late and now.is_late and then.late_words != now.late_words:
            moved["otherwise"].append((pk, then, now))
    ids = {pk for rows in moved.values() for pk, *_ in rows}
    recommendations = Recommendation.objects.public().select_related("report").in_bulk(ids)

    def listed(rows) -> list[Moved]:
        items = [Moved(recommendations[pk], then, now) for pk, then, now in rows]
        return sorted(
            items,
            key=lambda m: (
                m.recommendation.report.published_on,
                m.recommendation.report.slug,
                m.recommendation.number,
            ),
        )

    comparison.status_changes = listed(moved["status"])
    comparison.became_late = listed(moved["late"])
    comparison.stopped_being_late = listed(moved["not_late"])
    comparison.late_otherwise = listed(moved["otherwise"])
    if first < second:
        happened = latest_changes(first + ONE_DAY, second, None, Basis.HAPPENED)
        comparison.responses = happened.merged(["response", "response_late"])
        comparison.deadlines = happened.merged(DEADLINE_KINDS)
        comparison.updates = happened.merged(["update", "correction"])
        comparison.checks = list(
            Check.objects.public()
            .filter(checked_on__gt=first, checked_on__lte=second)
            .select_related("recommendation__report")
            .order_by("-checked_on", "-pk")
        )
    return comparison


CSV_HEADER = ["what", "recommendation", "title", "on", "before", "after", "detail", "page"]


def comparison_rows(comparison: Comparison) -> list[list[str]]:
    """The comparison as CSV rows (header first): one row per thing that moved."""

    def label(recommendation: Recommendation) -> str:
        return f"{recommendation.report.short_name} {recommendation.number}"

    def page(recommendation: Recommendation) -> str:
        return settings.SITE_URL + recommendation.get_absolute_url()

    first, second = comparison.first.isoformat(), comparison.second.isoformat()
    rows = [CSV_HEADER]
    for what, items in [
        ("status changed", comparison.status_changes),
        ("became late", comparison.became_late),
        ("stopped being late", comparison.stopped_being_late),
        ("late for another reason", comparison.late_otherwise),
    ]:
        for item in items:
            r = item.recommendation
            before, after = item.before_label, item.after_label
            if what != "status changed":
                before, after = item.before_late_words, item.after.late_words
            rows.append(
                [what, label(r), r.title, f"{first} to {second}", before, after, "", page(r)]
            )
    for change in [*comparison.responses, *comparison.deadlines, *comparison.updates]:
        r = change.recommendation
        rows.append(
            [
                change.kind_label.lower(),
                label(r),
                r.title,
                change.on.isoformat(),
                "",
                "",
                change.summary,
                page(r),
            ]
        )
    for check in comparison.checks:
        r = check.recommendation
        rows.append(
            [
                "checked",
                label(r),
                r.title,
                check.checked_on.isoformat(),
                "",
                "",
                check.get_outcome_display(),
                page(r),
            ]
        )
    return rows


def comparison_csv(comparison: Comparison) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in comparison_rows(comparison):
        writer.writerow([neutralise_formula(value) for value in row])
    return buffer.getvalue()
