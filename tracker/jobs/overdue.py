"""The daily overdue job: records when deadlines and recommendations became overdue, and stopped.

Everything is set-based (a constant number of queries however many deadlines, and no rows
brought into Python) and idempotent: running it twice, or a day late, leaves the same result.
Overdue itself is defined once, by `Deadline.objects.overdue(on)` and
`Recommendation.objects.overdue_on(on)`.
"""

import datetime
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Greatest
from django.utils import timezone

from tracker.data_version import bump_data_version
from tracker.models import Deadline, OverduePeriod, Recommendation, has_overdue_deadline
from tracker.response_clocks import refresh_response_clocks

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
    """Bring `overdue_since` and the overdue periods in line with the deadlines as of `today`,
    and every stored response clock in line with the responses and the rules (a change of
    `RESPONSE_DUE_DAYS`, or a bulk write that sent no signal, is caught up here)."""
    with transaction.atomic():
        deadlines_on, deadlines_off = _flag_deadlines(today)
        recommendations_on, recommendations_off = _flag_recommendations(today)
        refresh_response_clocks(Recommendation.objects.all())
        transaction.on_commit(bump_data_version)
    return FlagResult(deadlines_on, deadlines_off, recommendations_on, recommendations_off)


def _flag_deadlines(today: datetime.date) -> tuple[int, int]:
    overdue = Deadline.objects.overdue(today)
    # A deadline due on 31 December is overdue from 1 January: the day after its due date.
    became = overdue.filter(overdue_since__isnull=True).update(
        overdue_since=Cast(F("due_date") + ONE_DAY, models.DateField())
    )
    # NOT EXISTS rather than NOT IN: PostgreSQL runs NOT IN (subquery) as a loop over the
    # subquery's rows for each row once they no longer fit in work_mem.
    stopped = (
        Deadline.objects.filter(overdue_since__isnull=False)
        .exclude(Exists(overdue.filter(pk=OuterRef("pk"))))
        .update(overdue_since=None)
    )
    OverduePeriod.objects.filter(deadline__isnull=False, ended_on__isnull=True).exclude(
        Exists(overdue.filter(pk=OuterRef("deadline_id")))
    ).update(ended_on=Greatest(F("started_on"), Value(today)))
    _open_periods(
        overdue.values_list("recommendation_id", "pk", "overdue_since"),
        ("recommendation", "deadline", "started_on"),
    )
    return became, stopped


def _flag_recommendations(today: datetime.date) -> tuple[int, int]:
    overdue = Recommendation.objects.overdue_on(today)
    # Overdue since the day its longest-overdue open deadline became overdue. The deadlines were
    # flagged just before, in this transaction: the flagged ones are exactly the overdue ones.
    earliest = (
        Deadline.objects.filter(recommendation=OuterRef("pk"), overdue_since__isnull=False)
        .order_by("overdue_since")
        .values("overdue_since")[:1]
    )
    became = overdue.filter(overdue_since__isnull=True).update(overdue_since=Subquery(earliest))
    stopped = (
        Recommendation.objects.filter(overdue_since__isnull=False)
        .exclude(has_overdue_deadline(today))
        .update(overdue_since=None)
    )
    OverduePeriod.objects.filter(deadline__isnull=True, ended_on__isnull=True).exclude(
        has_overdue_deadline(today, "recommendation_id")
    ).update(ended_on=Greatest(F("started_on"), Value(today)))
    _open_periods(overdue.values_list("pk", "overdue_since"), ("recommendation", "started_on"))
    return became, stopped


def _open_periods(overdue: QuerySet, fields: tuple[str, ...]) -> None:
    """Open an overdue period for each row of `overdue` that has none open, the row's values
    being for `fields`.

    One INSERT ... SELECT, so that the first run on a large database does not bring thousands of
    rows into Python and send them back. A row that already has an open period (from an earlier
    run, or another run at the same moment) is skipped by the unique constraints on open periods,
    as `bulk_create(ignore_conflicts=True)` does. The SELECT does not look for open periods
    itself: on the first run PostgreSQL plans that test as a loop over a table it believes empty,
    and rescans every page the INSERT has just written for each row (0.3 s for 7,000 rows).
    """
    select, params = overdue.order_by().query.sql_with_params()
    table = connection.ops.quote_name(OverduePeriod._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(OverduePeriod._meta.get_field(name).column)
        for name in (*fields, "recorded_at")
    )
    recorded_at = models.DateTimeField().get_db_prep_value(timezone.now(), connection)
    # Names are quoted and the SELECT is compiled by Django: every value is a parameter.
    # WHERE TRUE: without it, SQLite would read ON CONFLICT as the SELECT's join condition.
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT overdue.*, %s FROM ({select}) AS overdue "  # noqa: S608
        "WHERE TRUE ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (recorded_at, *params))
