"""The daily overdue job: records when deadlines and recommendations became overdue, and stopped.

Everything is set-based (a constant number of queries however many deadlines) and idempotent:
running it twice, or a day late, leaves the same result. Overdue itself is defined once, by
`Deadline.objects.overdue(on)` and `Recommendation.objects.overdue_on(on)`.
"""

import datetime
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Greatest

from tracker.models import Deadline, OverduePeriod, Recommendation
from tracker.page_cache import bump_data_version

ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class FlagResult:
    deadlines_now_overdue: int
    deadlines_no_longer_overdue: int
    recommendations_now_overdue: int
    recommendations_no_longer_overdue: int

    def __str__(self) -> str:
        return (
            f"{self.deadlines_now_overdue} deadline(s) and {self.recommendations_now_overdue} "
            f"recommendation(s) became overdue; {self.deadlines_no_longer_overdue} deadline(s) "
            f"and {self.recommendations_no_longer_overdue} recommendation(s) stopped being overdue."
        )


def flag_overdue(today: datetime.date) -> FlagResult:
    """Bring `overdue_since` and the overdue periods in line with the deadlines as of `today`."""
    with transaction.atomic():
        deadlines_on, deadlines_off = _flag_deadlines(today)
        recommendations_on, recommendations_off = _flag_recommendations(today)
        transaction.on_commit(bump_data_version)
    return FlagResult(deadlines_on, deadlines_off, recommendations_on, recommendations_off)


def _flag_deadlines(today: datetime.date) -> tuple[int, int]:
    overdue = Deadline.objects.overdue(today)
    # A deadline due on 31 December is overdue from 1 January: the day after its due date.
    became = overdue.filter(overdue_since__isnull=True).update(
        overdue_since=Cast(F("due_date") + ONE_DAY, models.DateField())
    )
    stopped = (
        Deadline.objects.filter(overdue_since__isnull=False)
        .exclude(pk__in=overdue.values("pk"))
        .update(overdue_since=None)
    )
    OverduePeriod.objects.filter(deadline__isnull=False, ended_on__isnull=True).exclude(
        deadline__in=overdue.values("pk")
    ).update(ended_on=Greatest(F("started_on"), Value(today)))
    missing = overdue.exclude(
        Exists(OverduePeriod.objects.filter(deadline=OuterRef("pk"), ended_on__isnull=True))
    ).values_list("pk", "recommendation_id", "overdue_since")
    OverduePeriod.objects.bulk_create(
        [
            OverduePeriod(deadline_id=pk, recommendation_id=rec_id, started_on=since)
            for pk, rec_id, since in missing
        ],
        ignore_conflicts=True,  # another run got there first: the open period already exists
    )
    return became, stopped


def _flag_recommendations(today: datetime.date) -> tuple[int, int]:
    overdue = Recommendation.objects.overdue_on(today)
    # Overdue since the day its longest-overdue open deadline became overdue.
    earliest = (
        Deadline.objects.overdue(today)
        .filter(recommendation=OuterRef("pk"))
        .order_by("overdue_since")
        .values("overdue_since")[:1]
    )
    became = overdue.filter(overdue_since__isnull=True).update(overdue_since=Subquery(earliest))
    stopped = (
        Recommendation.objects.filter(overdue_since__isnull=False)
        .exclude(pk__in=overdue.values("pk"))
        .update(overdue_since=None)
    )
    OverduePeriod.objects.filter(deadline__isnull=True, ended_on__isnull=True).exclude(
        recommendation__in=overdue.values("pk")
    ).update(ended_on=Greatest(F("started_on"), Value(today)))
    missing = overdue.exclude(
        Exists(
            OverduePeriod.objects.filter(
                recommendation=OuterRef("pk"), deadline__isnull=True, ended_on__isnull=True
            )
        )
    ).values_list("pk", "overdue_since")
    OverduePeriod.objects.bulk_create(
        [OverduePeriod(recommendation_id=pk, started_on=since) for pk, since in missing],
        ignore_conflicts=True,
    )
    return became, stopped
