"""The stored dates of today's freshness line: each recommendation's latest check
(`Recommendation.latest_check_on`) and the latest day any of its facts describes
(`Recommendation.newest_fact_on`: published updates, responses, deadlines promised and met).

Computed per page over every listed recommendation, these took most of the dashboard's SQL at
9,000 recommendations; stored, today's line is one aggregate over the listed rows
(`tracker.public.freshness`). A past day (`?as_of=`) still computes them from the records made
by then. Kept in step by `refresh_fact_dates`: with the headline status
(`tracker.updates.refresh_headline_statuses`, which also covers bulk loads such as `seed_demo`),
and on every save or delete of a check, an update, a response or a deadline.
"""

from __future__ import annotations

import datetime

from django.db.models import DateField, Max, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest, NullIf
from django.db.models.signals import post_delete, post_save

from tracker.models import (
    Check,
    Deadline,
    Recommendation,
    Response,
    StatusUpdate,
    last_check_subquery,
)

NO_DATE = Value(datetime.date(1, 1, 1), output_field=DateField())


def _latest(queryset: QuerySet, field: str) -> Subquery:
    return Subquery(
        queryset.filter(recommendation=OuterRef("pk"))
        .order_by()
        .values("recommendation")
        .annotate(latest=Max(field))
        .values("latest"),
        output_field=DateField(),
    )


def latest_check_now() -> Subquery:
    """For an UPDATE of recommendations: the day of each one's latest check."""
    return last_check_subquery()


def fact_days() -> list[tuple[QuerySet, str]]:
    """The one list of a recommendation's facts and the day each describes: published updates,
    responses given, deadlines promised and deadlines met."""
    return [
        (StatusUpdate.objects.published(), "describes_on"),
        (Response.objects.all(), "responded_on"),
        (Deadline.objects.all(), "promised_on"),
        (Deadline.objects.all(), "met_on"),
    ]


def newest_fact_now() -> NullIf:
    """For an UPDATE of recommendations: the latest day any of each one's facts describes."""
    dates = [_latest(queryset, field) for queryset, field in fact_days()]
    # GREATEST skips NULLs on PostgreSQL but not on SQLite: each NULL becomes the earliest date,
    # and the earliest date NULL again.
    return NullIf(Greatest(*(Coalesce(date, NO_DATE) for date in dates)), NO_DATE)


def refresh_fact_dates(recommendations: QuerySet[Recommendation]) -> int:
    """Recompute both stored dates of these recommendations in one set-based UPDATE."""
    return recommendations.update(
        latest_check_on=latest_check_now(), newest_fact_on=newest_fact_now()
    )


def _on_record(sender, instance, raw=False, **kwargs) -> None:
    """A check, an update, a response or a deadline was saved or deleted."""
    if not raw and instance.recommendation_id:
        refresh_fact_dates(Recommendation.objects.filter(pk=instance.recommendation_id))


def connect_signals() -> None:
    for model in (Check, StatusUpdate, Response, Deadline):
        post_save.connect(_on_record, sender=model, dispatch_uid=f"fact-dates-{model.__name__}")
        post_delete.connect(_on_record, sender=model, dispatch_uid=f"fact-dates-d-{model.__name__}")
