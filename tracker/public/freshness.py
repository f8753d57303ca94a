"""How fresh what a page shows is: the newest fact among what it lists, and when those
recommendations were last checked for new developments (`Check`).

No page claims to be current beyond this: the tracker knows only what was recorded up to the
newest fact, and that nothing new was found up to each recommendation's last check.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Max, Min, QuerySet, Subquery, Value

from tracker.as_of import AsOf
from tracker.fact_dates import fact_days
from tracker.models import Check, Recommendation


@dataclass(frozen=True)
class Freshness:
    listed: int  # recommendations counted
    newest_fact: datetime.date | None  # the latest day any of their facts describes
    oldest_check: datetime.date | None  # the least recently checked one's last check
    newest_check: datetime.date | None  # the most recently checked one's last check
    never_checked: int

    @property
    def single(self) -> bool:
        return self.listed == 1


def _scalar(queryset: QuerySet, aggregate) -> Subquery:
    """`aggregate` over all of `queryset` as an uncorrelated subquery, which the database runs
    once for the page, not once a row (an aggregate, not ORDER BY … LIMIT 1, so that it plans
    well both for a few listed recommendations and for thousands)."""
    return Subquery(
        queryset.order_by()
        .annotate(group=Value(1))
        .values("group")
        .annotate(value=aggregate)
        .values("value"),
    )


def _newest(queryset: QuerySet, field: str, listed: QuerySet) -> Subquery:
    """The latest `field` among the rows of `queryset` about the `listed` recommendations."""
    return _scalar(queryset.filter(recommendation__in=listed), Max(field))


def freshness_of(recommendations: QuerySet[Recommendation], as_of: AsOf) -> Freshness:
    """One query, whatever the number of recommendations. Today's line is an aggregate of the
    dates stored on the recommendations (`tracker.fact_dates`); a past day's is computed from
    the records made by then."""
    if not as_of.is_past:
        figures = recommendations.order_by().aggregate(
            listed=Count("pk"),
            oldest_check=Min("latest_check_on"),
            newest_check=Max("latest_check_on"),
            checked=Count("latest_check_on"),
            newest_fact=Max("newest_fact_on"),
        )
        return Freshness(
            listed=figures["listed"],
            newest_fact=figures["newest_fact"],
            oldest_check=figures["oldest_check"],
            newest_check=figures["newest_check"],
            never_checked=figures["listed"] - figures["checked"],
        )
    return _freshness_then(recommendations, as_of)


def _freshness_then(recommendations: QuerySet[Recommendation], as_of: AsOf) -> Freshness:
    """A past day's line: each figure is a subquery over the records made by then, which the
    database runs once for the page (not once per recommendation)."""
    day = as_of.day
    listed = recommendations.order_by().values("pk")
    # The checks made by the day shown (`with_last_checked`'s rule), and each recommendation's last.
    checks = Check.objects.filter(recommendation__in=listed, checked_on__lte=day)
    last_checks = checks.order_by().values("recommendation").annotate(last=Max("checked_on"))
    figures = recommendations.order_by().aggregate(
        listed=Count("pk"),
        oldest_check=Min(Subquery(last_checks.order_by("last").values("last")[:1])),
        newest_check=Max(_scalar(checks, Max("checked_on"))),
        checked=Max(_scalar(checks, Count("recommendation", distinct=True))),
        **{
            f"fact_{index}": Max(_newest(queryset.filter(**{f"{field}__lte": day}), field, listed))
            for index, (queryset, field) in enumerate(fact_days())
        },
    )
    facts = [value for name, value in figures.items() if name.startswith("fact_") and value]
    return Freshness(
        listed=figures["listed"],
        newest_fact=max(facts) if facts else None,
        oldest_check=figures["oldest_check"],
        newest_check=figures["newest_check"],
        never_checked=figures["listed"] - (figures["checked"] or 0),
    )
