"""How fresh what a page shows is: the newest fact among what it lists, and when those
recommendations were last checked for new developments (`Check`).

No page claims to be current beyond this: the tracker knows only what was recorded up to the
newest fact, and that nothing new was found up to each recommendation's last check.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, DateField, Max, Min, OuterRef, Q, QuerySet, Subquery

from tracker.as_of import AsOf
from tracker.models import Deadline, Recommendation, Response, StatusUpdate


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


def _latest(queryset: QuerySet, field: str) -> Subquery:
    return Subquery(
        queryset.filter(recommendation=OuterRef("pk")).order_by(f"-{field}").values(field)[:1],
        output_field=DateField(),
    )


def freshness_of(recommendations: QuerySet[Recommendation], as_of: AsOf) -> Freshness:
    """One query, whatever the number of recommendations."""
    day = as_of.day
    updates = StatusUpdate.objects.published().filter(describes_on__lte=day)
    responses = Response.objects.filter(responded_on__lte=day)
    promised = Deadline.objects.filter(promised_on__lte=day)
    met = Deadline.objects.filter(met_on__lte=day)
    figures = (
        recommendations.order_by()
        .with_last_checked(day if as_of.is_past else None)
        .annotate(
            fact_update=_latest(updates, "describes_on"),
            fact_response=_latest(responses, "responded_on"),
            fact_promise=_latest(promised, "promised_on"),
            fact_met=_latest(met, "met_on"),
        )
        .aggregate(
            listed=Count("pk"),
            oldest_check=Min("last_checked_on"),
            newest_check=Max("last_checked_on"),
            never_checked=Count("pk", filter=Q(last_checked_on__isnull=True)),
            update=Max("fact_update"),
            response=Max("fact_response"),
            promise=Max("fact_promise"),
            met=Max("fact_met"),
        )
    )
    facts = [figures[name] for name in ("update", "response", "promise", "met") if figures[name]]
    return Freshness(
        listed=figures["listed"],
        newest_fact=max(facts) if facts else None,
        oldest_check=figures["oldest_check"],
        newest_check=figures["newest_check"],
        never_checked=figures["never_checked"],
    )
