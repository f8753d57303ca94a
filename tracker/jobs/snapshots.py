"""The day's accountability figures, per report and per owner, kept for the trend over time.

Figures for a day are rebuilt from the ledger as it stands: the status on that day is that of the
latest published whole-recommendation update describing a date up to it; overdue on that day
comes from the overdue periods the daily job records. So a backfill of past days and the daily
snapshot give the same numbers, and re-running a day replaces its rows.
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from tracker.data_version import bump_data_version
from tracker.models import (
    Deadline,
    ImplementationStatus,
    OverduePeriod,
    Ownership,
    Recommendation,
    Snapshot,
    status_on,
)

STATUS_FIELDS = [status.value for status in ImplementationStatus]


def recommendation_facts(day: datetime.date) -> list[tuple[int, int, str, bool, bool]]:
    """(recommendation, report, status, overdue, has deadline) for each recommendation on `day`."""
    overdue_that_day = OverduePeriod.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=day),
        recommendation=OuterRef("pk"),
        deadline__isnull=True,
        started_on__lte=day,
    )
    deadline_set_by_then = Deadline.objects.known_on(day).filter(recommendation=OuterRef("pk"))
    return list(
        Recommendation.objects.filter(report__published_on__lte=day)
        .annotate(
            status_that_day=status_on(day),
            overdue_that_day=Exists(overdue_that_day),
            has_deadline_that_day=Exists(deadline_set_by_then),
        )
        .values_list(
            "pk", "report_id", "status_that_day", "overdue_that_day", "has_deadline_that_day"
        )
        .order_by()
    )


def _figures(facts: Iterable[tuple[int, int, str, bool, bool]]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    total = 0
    for _pk, _report, status, overdue, has_deadline in facts:
        total += 1
        counts[status] += 1
        counts["overdue"] += overdue
        counts["no_deadline"] += not has_deadline
    figures = {field: counts[field] for field in STATUS_FIELDS}
    return {
        **figures,
        "total": total,
        "overdue": counts["overdue"],
        "no_deadline": counts["no_deadline"],
    }


def take_snapshot(day: datetime.date) -> int:
    """Write (or rewrite) the day's rows: one per report and one per owner. Returns the count."""
    facts = recommendation_facts(day)
    by_report = defaultdict(list)
    by_id = {}
    for fact in facts:
        by_report[fact[1]].append(fact)
        by_id[fact[0]] = fact
    by_owner = defaultdict(list)
    for recommendation_id, organisation_id in Ownership.objects.values_list(
        "recommendation_id", "organisation_id"
    ).order_by():
        if recommendation_id in by_id:
            by_owner[organisation_id].append(by_id[recommendation_id])

    rows = [Snapshot(day=day, report_id=pk, **_figures(group)) for pk, group in by_report.items()]
    rows += [
        Snapshot(day=day, organisation_id=pk, **_figures(group)) for pk, group in by_owner.items()
    ]
    with transaction.atomic():
        Snapshot.objects.filter(day=day).delete()
        Snapshot.objects.bulk_create(rows)
        transaction.on_commit(bump_data_version)
    return len(rows)


def backfill_snapshots(first: datetime.date, last: datetime.date) -> int:
    """Rebuild every day from `first` to `last` inclusive. Returns the number of days written."""
    if last < first:
        raise ValueError("The last day comes before the first.")
    day = first
    days = 0
    while day <= last:
        take_snapshot(day)
        day += datetime.timedelta(days=1)
        days += 1
    return days
