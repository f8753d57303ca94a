"""Response clocks: when a recommendation's response, or a decision on it, counts as late.

A recommendation is **response late** on a day when its headline response (the lead owner's
latest, or its government's where the lead is a department that did not answer itself) is
- missing or "no response yet", although a response was due: by the report's `response_due_on`
  (with its source), or else `RESPONSE_DUE_DAYS` after the report's publication (this tracker's
  default rule, stated on /methodology/); or
- "under consideration" past the date a decision was promised (`Response.decision_due_on`).

It is late from the day after the date due: `response_late_from()` is that first late day, and a
recommendation is late on `day` exactly when that day is on or before `day`. Today's figures read
it from the stored `Recommendation.response_late_from`, kept in step by `refresh_response_clocks`
(called with the headline status's refresh, and when a response, an ownership, a report or an
organisation is saved or deleted); a past day (`?as_of=`) computes it from the responses given by
then. The one definition of both is `response_late_from`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db.models import (
    Case,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Exact
from django.db.models.signals import post_delete, post_save

from tracker.models import (
    Organisation,
    Ownership,
    Recommendation,
    Report,
    Response,
    ResponseKind,
)

ONE_DAY = datetime.timedelta(days=1)


def _headline_candidates(day: datetime.date | None) -> tuple[QuerySet, QuerySet]:
    """The outer recommendation's responses (given on or before `day` when one is given) by its
    lead owner, and by a government, newest first: the headline response is the first of the
    lead's, or else the first of a government's."""
    lead = (
        Ownership.objects.leads()
        .filter(recommendation=OuterRef(OuterRef("pk")))
        .order_by()
        .values("organisation")
    )
    responses = Response.objects.filter(recommendation=OuterRef("pk"))
    if day is not None:
        responses = responses.filter(Q(responded_on__isnull=True) | Q(responded_on__lte=day))
    newest = (F("responded_on").desc(nulls_last=True), "-pk")
    by_lead = responses.filter(organisation__in=Subquery(lead)).order_by(*newest)
    by_government = responses.filter(organisation__kind=Organisation.Kind.GOVERNMENT)
    return by_lead, by_government.order_by(*newest)


def headline_response_subquery(day: datetime.date | None, field: str = "kind") -> Case:
    """The lead owner's latest response (given on or before `day` when one is given). Where a
    department leads and the response was its government's (the UK Government answered for
    it), the government's latest response."""
    by_lead, by_government = _headline_candidates(day)
    return Case(
        When(Exists(by_lead), then=Subquery(by_lead.values(field)[:1])),
        default=Subquery(by_government.values(field)[:1]),
    )


def _day_after(expression) -> Cast:
    return Cast(ExpressionWrapper(expression + ONE_DAY, output_field=DateTimeField()), DateField())


def _response_due(field=F) -> Coalesce:
    """The day a response to the recommendation's report is due: the report's own date, or
    `RESPONSE_DUE_DAYS` after publication. `field` is `OuterRef` inside a subquery of responses,
    so that it reads the report the outer query has joined already."""
    default_due = datetime.timedelta(days=settings.RESPONSE_DUE_DAYS)
    published = ExpressionWrapper(
        field("report__published_on") + default_due, output_field=DateTimeField()
    )
    return Coalesce(
        field("report__response_due_on"), Cast(published, DateField()), output_field=DateField()
    )


def response_late_from(day: datetime.date | None = None) -> Case:
    """**Response late from**: the first day on which the recommendation counts as response late
    (the day after the response or the decision was due), by its headline response among those
    given on or before `day` (every one recorded when `day` is None); None when no response clock
    runs (a response was given, or it is under consideration with no promised date).

    Each response row says what its own clock would be, so the headline response's subqueries
    are read once, not once for each branch."""
    by_lead, by_government = _headline_candidates(day)
    clock = Case(
        When(kind=ResponseKind.AWAITING, then=_day_after(_response_due(OuterRef))),
        When(
            kind=ResponseKind.UNDER_CONSIDERATION,
            decision_due_on__isnull=False,
            then=_day_after(F("decision_due_on")),
        ),
        default=Value(None, output_field=DateField()),
        output_field=DateField(),
    )

    def headline_clock(responses: QuerySet) -> Subquery:
        return Subquery(responses.annotate(clock=clock).values("clock")[:1])

    return Case(
        When(Exists(by_lead), then=headline_clock(by_lead)),
        When(Exists(by_government), then=headline_clock(by_government)),
        default=_day_after(_response_due()),  # no response recorded
        output_field=DateField(),
    )


def response_late_from_now() -> Subquery:
    """For an UPDATE of recommendations: `response_late_from` from every response recorded."""
    recommendation = Recommendation.objects.filter(pk=OuterRef("pk")).annotate(
        late_from=response_late_from()
    )
    return Subquery(recommendation.values("late_from")[:1], output_field=DateField())


# Stands for "no clock" when stored and computed clocks are compared (no report is this old).
NO_CLOCK = datetime.date(1, 1, 1)


def refresh_response_clocks(recommendations: QuerySet[Recommendation]) -> int:
    """Bring the stored `Recommendation.response_late_from` of these recommendations in line
    with the responses, set-based: the clocks are computed in one pass and only those that
    differ are written (`tracker.updates.refresh_headline_statuses` writes them with the
    headline). Returns how many changed."""
    differ = ~Q(
        Exact(
            Coalesce(F("response_late_from"), Value(NO_CLOCK)),
            Coalesce(response_late_from(), Value(NO_CLOCK)),
        )
    )
    changed = recommendations.filter(differ).order_by().values("pk")
    return Recommendation.objects.filter(pk__in=changed).update(
        response_late_from=response_late_from_now()
    )


def response_due_on(report: Report) -> datetime.date:
    """When a response to the report is due: its own date, or the default rule's."""
    if report.response_due_on:
        return report.response_due_on
    return report.published_on + datetime.timedelta(days=settings.RESPONSE_DUE_DAYS)


def response_rule_words(report: Report) -> str:
    """Where the response date comes from, in words."""
    if report.response_due_on:
        return "the date given for the response"
    return f"{settings.RESPONSE_DUE_DAYS} days after publication, this tracker's default rule"


def _uk(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


def response_late_words(recommendation: Recommendation, day: datetime.date) -> str:
    """Why the recommendation counts as response late on `day`, in words (empty when it does
    not). Needs the annotations of `with_headline_response` and the recommendation's report."""
    late_from = getattr(recommendation, "response_late_since", None)
    if late_from is None or late_from > day:
        return ""
    since = f" Late since {_uk(late_from)}."
    if recommendation.headline_response == ResponseKind.UNDER_CONSIDERATION:
        return (
            f"Late: still under consideration; a decision was promised by "
            f"{_uk(recommendation.headline_decision_due)}.{since}"
        )
    report = recommendation.report
    return (
        f"Late: no response recorded, although one was due by {_uk(response_due_on(report))} "
        f"({response_rule_words(report)}).{since}"
    )


# --- Keeping the stored day in step --------------------------------------------------------------


def _refresh(ids: Iterable[int]) -> None:
    ids = list(ids)
    if ids:
        refresh_response_clocks(Recommendation.objects.filter(pk__in=ids))


def _on_recommendation_row(sender, instance, raw=False, **kwargs) -> None:
    """A response or an ownership changed: its recommendation's clock may have."""
    if not raw:
        _refresh([instance.recommendation_id])


def _on_recommendation(sender, instance, raw=False, **kwargs) -> None:
    """A recommendation saved (created, or moved to another report) starts its clock."""
    if not raw:
        _refresh([instance.pk])


def _on_report(sender, instance, raw=False, **kwargs) -> None:
    """A report's response date or publication date sets its recommendations' clocks."""
    if not raw:
        refresh_response_clocks(Recommendation.objects.filter(report_id=instance.pk))


def _on_organisation(sender, instance, raw=False, **kwargs) -> None:
    """An organisation that becomes (or stops being) a government changes which response is the
    headline of the recommendations it answered."""
    if not raw:
        answered = Response.objects.filter(organisation_id=instance.pk).values("recommendation")
        refresh_response_clocks(Recommendation.objects.filter(pk__in=answered))


def connect_signals() -> None:
    """Keep `Recommendation.response_late_from` in step with every save and delete that can
    move it (admin, report files, CSV imports). Bulk writes (`bulk_create`, `update`) send no
    signal: their callers refresh set-based (`seed_demo`), and the daily overdue job refreshes
    every recommendation."""
    for model in (Response, Ownership):
        post_save.connect(
            _on_recommendation_row, sender=model, dispatch_uid=f"response-clock-{model}"
        )
        post_delete.connect(
            _on_recommendation_row, sender=model, dispatch_uid=f"response-clock-d-{model}"
        )
    post_save.connect(_on_recommendation, sender=Recommendation, dispatch_uid="response-clock-r")
    post_save.connect(_on_report, sender=Report, dispatch_uid="response-clock-report")
    post_save.connect(_on_organisation, sender=Organisation, dispatch_uid="response-clock-org")
