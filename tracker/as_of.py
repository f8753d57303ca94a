"""How the recommendations stood on a day, computed in SQL from the ledger and the deadline history.

Today's view uses the model's own definitions (`Recommendation.status`, the denormalised
headline, and `Recommendation.objects.with_timeliness(today)`). A past day (`?as_of=YYYY-MM-DD`)
is rebuilt from:
- status: by the headline rule (`StatusUpdateQuerySet.in_headline_order`), among the published
  whole-recommendation updates describing a day on or before it;
- deadlines: those promised on or before it (an unknown `promised_on` counts as known from the
  start), not met, withdrawn or superseded (by a deadline itself known by then) on or before it;
- overdue: such a deadline fell due before that day;
- missed: a source had said so by then, or it was replaced (by a deadline known by then) after it
  fell due;
- response: the lead owner's latest response given on or before it.

Only what the public may see is counted (`public()` in `tracker.models`: recommendations and
updates of published reports), today and on a past day alike: a report an editor has not
published, or has withdrawn, is left out of every past view too. A past day also leaves out
reports not yet published then. Every queryset returned here carries the
same annotations, so the pages, the table, its filters and the API read the same names:
`status_then`, `status_then_on`, `status_then_account`, `is_overdue`, `oldest_overdue_due`,
`next_due`, `has_deadline`, `headline_response`, `headline_response_on`, `response_late_since`,
`is_response_late`, `is_late` (either), `deadlines_missed`, `replaced_late_due`, `last_update_on`,
and the three accounts of `tracker.accounts.with_accounts` (`is_disputed` among them).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import partial

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields import DateField
from django.utils import timezone
from django.utils.dateparse import parse_date

from tracker.accounts import with_accounts
from tracker.models import (
    Deadline,
    Recommendation,
    RecommendationQuerySet,
    StatusUpdate,
    status_account_on,
    status_on,
    status_on_date,
)
from tracker.response_clocks import headline_response_subquery, response_late_from


class InvalidAsOfDate(ValueError):
    """The `as_of` value is not a date this tracker can show."""


@dataclass(frozen=True)
class AsOf:
    """The day a page describes. `is_past` is False for today's view."""

    day: datetime.date
    today: datetime.date

    @property
    def is_past(self) -> bool:
        return self.day < self.today

    @property
    def query_value(self) -> str:
        return self.day.isoformat() if self.is_past else ""


def parse_as_of(raw: str | None, today: datetime.date | None = None) -> AsOf:
    """Read `?as_of=YYYY-MM-DD`. Empty means today; a future or malformed date is refused."""
    today = today or timezone.localdate()
    if raw is None or raw.strip() == "":
        return AsOf(day=today, today=today)
    try:
        day = parse_date(raw.strip())
    except ValueError:
        day = None
    if day is None:
        raise InvalidAsOfDate(
            f"“{raw}” is not a date. Give it as YYYY-MM-DD, for example 2025-06-16."
        )
    if day > today:
        raise InvalidAsOfDate(
            f"{day:%-d %B %Y} is in the future. This site can show how things stood up to today."
        )
    return AsOf(day=day, today=today)


# --- Deadlines -----------------------------------------------------------------------------------
# Of every report: these also serve as subqueries about one (public) recommendation. A caller that
# lists deadlines for the public adds `.public()`.


def deadlines_open_on(day: datetime.date, today: datetime.date) -> QuerySet[Deadline]:
    """Deadlines in force on `day`: the model's own `open()` today, as known then for a past day."""
    return Deadline.objects.open(as_known_on=None if day >= today else day)


def deadlines_known_on(day: datetime.date, today: datetime.date) -> QuerySet[Deadline]:
    if day >= today:
        return Deadline.objects.all()
    return Deadline.objects.known_on(day)


def deadlines_overdue_on(day: datetime.date, today: datetime.date) -> QuerySet[Deadline]:
    """Deadlines overdue on `day` (`DeadlineQuerySet.overdue`), as known then for a past day."""
    return Deadline.objects.overdue(day, as_known_on=None if day >= today else day)


# --- Recommendations -----------------------------------------------------------------------------


def with_headline_response(
    queryset: QuerySet[Recommendation], day: datetime.date | None = None, *, clock_only=False
) -> QuerySet[Recommendation]:
    """The lead owner's latest response (`headline_response`), its date and promised decision
    date, and the response clock (`tracker.response_clocks`): `response_late_since`, the first
    day it counts as response late (None when no clock runs), and `is_response_late`, whether
    that day has come by `day`.

    Today's view (`day` None) reads the clock from the stored `Recommendation.response_late_from`:
    computed per row, it repeats the response subqueries in every branch. A past day computes it
    from the responses given by then. `clock_only` leaves out the headline response itself
    where only the clock is needed (a past day's clock reads the responses itself)."""
    if not clock_only:
        queryset = queryset.annotate(
            headline_response=headline_response_subquery(day),
            headline_response_on=headline_response_subquery(day, "responded_on"),
            headline_decision_due=headline_response_subquery(day, "decision_due_on"),
        )
    if day is None:
        late = Q(response_late_from__lte=timezone.localdate())
        queryset = queryset.annotate(response_late_since=F("response_late_from"))
    else:
        late = Q(response_late_since__lte=day)
        queryset = queryset.annotate(response_late_since=response_late_from(day))
    return queryset.annotate(
        is_response_late=Case(
            When(late, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )


def recommendations_as_of(
    as_of: AsOf,
    queryset: RecommendationQuerySet | None = None,
    *,
    accounts: bool = True,
    responses: bool = True,
) -> RecommendationQuerySet:
    """The public recommendations (of `queryset`, when given) with how each stood at the end of
    `as_of.day` (see the module docstring).

    Building the annotations costs time even where a query does not select them, so callers
    that never read some leave them out: `accounts=False` today's three account statuses
    (`is_disputed` stays: the table filters on it, and the recommendation page reads the
    accounts from the updates it shows), `responses=False` the headline response's kind and
    dates (the figures need only the response clock)."""
    queryset = (queryset if queryset is not None else Recommendation.objects.all()).public()
    add_accounts = partial(with_accounts, disputed_only=not accounts)
    day = as_of.day
    updates = StatusUpdate.objects.published().filter(recommendation=OuterRef("pk"))
    if not as_of.is_past:
        queryset = queryset.with_timeliness(day).annotate(
            status_then=F("status"),
            status_then_on=F("status_on"),
            status_then_account=F("status_account"),
            last_update_on=Subquery(
                updates.order_by("-describes_on").values("describes_on")[:1],
                output_field=DateField(),
            ),
        )
        queryset = queryset.with_missed(day)
        return with_lateness(
            add_accounts(with_headline_response(queryset, clock_only=not responses))
        )

    queryset = queryset.filter(report__published_on__lte=day)
    updates_then = updates.filter(describes_on__lte=day)
    open_then = deadlines_open_on(day, as_of.today).filter(recommendation=OuterRef("pk"))
    overdue_then = deadlines_overdue_on(day, as_of.today).filter(recommendation=OuterRef("pk"))
    queryset = queryset.annotate(
        status_then=status_on(day),
        status_then_on=status_on_date(day),
        status_then_account=status_account_on(day),
        last_update_on=Subquery(
            updates_then.order_by("-describes_on").values("describes_on")[:1],
            output_field=DateField(),
        ),
        is_overdue=Exists(overdue_then),
        overdue_missed=Exists(overdue_then.filter(missed_on__lte=day)),
        oldest_overdue_due=Subquery(overdue_then.order_by("due_date").values("due_date")[:1]),
        next_due=Subquery(
            open_then.filter(due_date__gte=day).order_by("due_date").values("due_date")[:1]
        ),
        has_deadline=Exists(
            deadlines_known_on(day, as_of.today).filter(recommendation=OuterRef("pk"))
        ),
    )
    queryset = queryset.with_missed(day, as_known_on=day)
    queryset = with_headline_response(queryset, day, clock_only=not responses)
    return with_lateness(add_accounts(queryset, day))


def with_lateness(queryset: QuerySet[Recommendation]) -> QuerySet[Recommendation]:
    """**Late** (`is_late`): overdue (past a deadline, or missed, with no report of delivery) or
    response late, or both; each counted once. Needs `is_overdue` and `is_response_late`."""
    return queryset.annotate(
        is_late=Case(
            When(Q(is_overdue=True) | Q(is_response_late=True), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def published_updates_as_of(as_of: AsOf) -> QuerySet[StatusUpdate]:
    """The updates the public may see (`StatusUpdateQuerySet.public`) describing a day up to
    `as_of.day`."""
    updates = StatusUpdate.objects.public()
    if as_of.is_past:
        updates = updates.filter(describes_on__lte=as_of.day)
    return updates
