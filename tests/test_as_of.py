"""How a recommendation stood on a past day, rebuilt from the ledger and the deadline history."""

import datetime

import pytest

from tests.factories import (
    DeadlineFactory,
    OwnershipFactory,
    RecommendationFactory,
    ResponseFactory,
    StatusUpdateFactory,
)
from tests.factories_pages import publish
from tracker.as_of import AsOf, InvalidAsOfDate, parse_as_of, recommendations_as_of
from tracker.models import Deadline, ImplementationStatus, Recommendation, ResponseKind

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 23)


def on(day: datetime.date) -> AsOf:
    return AsOf(day=day, today=TODAY)


def stood(recommendation: Recommendation, day: datetime.date) -> Recommendation:
    return recommendations_as_of(on(day)).get(pk=recommendation.pk)


def test_parse_as_of():
    assert parse_as_of("", TODAY) == AsOf(TODAY, TODAY)
    assert parse_as_of(None, TODAY).is_past is False
    assert parse_as_of(" 2025-06-16 ", TODAY) == AsOf(datetime.date(2025, 6, 16), TODAY)
    assert parse_as_of("2026-11-23", TODAY).is_past is False
    with pytest.raises(InvalidAsOfDate, match="is not a date"):
        parse_as_of("16 June 2025", TODAY)
    with pytest.raises(InvalidAsOfDate, match="is not a date"):
        parse_as_of("2025-13-01", TODAY)
    with pytest.raises(InvalidAsOfDate, match="24 November 2026 is in the future"):
        parse_as_of("2026-11-24", TODAY)


def test_status_comes_from_whole_recommendation_updates_describing_that_day_or_before():
    recommendation = RecommendationFactory()
    publish(recommendation, describes_on=datetime.date(2024, 1, 10), status="in_progress")
    publish(recommendation, describes_on=datetime.date(2025, 3, 1), status="implemented")
    owner_part = OwnershipFactory(recommendation=recommendation).organisation
    publish(
        recommendation,
        organisation=owner_part,
        describes_on=datetime.date(2024, 6, 1),
        status="not_started",
    )
    StatusUpdateFactory(
        recommendation=recommendation, describes_on=datetime.date(2024, 2, 1), status="not_started"
    )

    assert stood(recommendation, datetime.date(2024, 1, 9)).status_then == "not_yet_assessed"
    assert stood(recommendation, datetime.date(2024, 1, 10)).status_then == "in_progress"
    assert stood(recommendation, datetime.date(2024, 6, 2)).status_then == "in_progress"
    assert stood(recommendation, datetime.date(2024, 6, 2)).last_update_on == datetime.date(
        2024, 6, 1
    )
    assert stood(recommendation, datetime.date(2025, 3, 1)).status_then == "implemented"
    assert stood(recommendation, datetime.date(2025, 3, 1)).status_then_on == datetime.date(
        2025, 3, 1
    )


def test_today_uses_the_denormalised_headline_and_the_models_timeliness():
    recommendation = RecommendationFactory()
    publish(recommendation, describes_on=datetime.date(2024, 1, 10), status="in_progress")
    DeadlineFactory(recommendation=recommendation, due_date=datetime.date(2025, 12, 31))

    today = stood(recommendation, TODAY)
    model = Recommendation.objects.with_timeliness(TODAY).get(pk=recommendation.pk)

    assert today.status_then == ImplementationStatus.IN_PROGRESS
    assert today.is_overdue is model.is_overdue is True
    assert today.oldest_overdue_due == model.oldest_overdue_due == datetime.date(2025, 12, 31)


def test_a_deadline_counts_from_when_it_was_promised():
    recommendation = RecommendationFactory()
    DeadlineFactory(
        recommendation=recommendation,
        due_date=datetime.date(2024, 12, 31),
        promised_on=datetime.date(2024, 3, 1),
    )

    before = stood(recommendation, datetime.date(2024, 2, 28))
    after = stood(recommendation, datetime.date(2025, 1, 1))

    assert (before.has_deadline, before.is_overdue, before.next_due) == (False, False, None)
    assert (after.has_deadline, after.is_overdue) == (True, True)
    assert after.oldest_overdue_due == datetime.date(2024, 12, 31)


def test_a_deadline_with_an_unknown_promise_date_counts_from_the_start():
    recommendation = RecommendationFactory()
    DeadlineFactory(recommendation=recommendation, due_date=datetime.date(2024, 12, 31))

    assert stood(recommendation, datetime.date(2023, 1, 1)).next_due == datetime.date(2024, 12, 31)


def test_a_superseded_deadline_stays_in_force_until_the_new_one_was_promised():
    recommendation = RecommendationFactory()
    first = DeadlineFactory(
        recommendation=recommendation,
        due_date=datetime.date(2025, 3, 31),
        precision=Deadline.Precision.QUARTER,
        promised_on=datetime.date(2023, 5, 22),
    )
    DeadlineFactory(
        recommendation=recommendation,
        due_date=datetime.date(2025, 12, 31),
        promised_on=datetime.date(2025, 5, 1),
        supersedes=first,
    )

    in_april = stood(recommendation, datetime.date(2025, 4, 15))
    in_june = stood(recommendation, datetime.date(2025, 6, 16))
    next_year = stood(recommendation, datetime.date(2026, 1, 1))

    assert (in_april.is_overdue, in_april.oldest_overdue_due) == (True, datetime.date(2025, 3, 31))
    assert (in_june.is_overdue, in_june.next_due) == (False, datetime.date(2025, 12, 31))
    assert (next_year.is_overdue, next_year.oldest_overdue_due) == (
        True,
        datetime.date(2025, 12, 31),
    )


def test_a_met_deadline_is_overdue_only_until_it_was_met():
    recommendation = RecommendationFactory()
    DeadlineFactory(
        recommendation=recommendation,
        due_date=datetime.date(2025, 3, 31),
        precision=Deadline.Precision.QUARTER,
        met_on=datetime.date(2025, 5, 1),
    )

    assert stood(recommendation, datetime.date(2025, 4, 30)).is_overdue is True
    assert stood(recommendation, datetime.date(2025, 5, 1)).is_overdue is False
    assert stood(recommendation, datetime.date(2025, 5, 1)).has_deadline is True


def test_a_withdrawn_deadline_stops_counting_when_withdrawn():
    recommendation = RecommendationFactory()
    DeadlineFactory(
        recommendation=recommendation,
        due_date=datetime.date(2025, 3, 31),
        precision=Deadline.Precision.QUARTER,
        withdrawn_on=datetime.date(2025, 6, 1),
    )

    assert stood(recommendation, datetime.date(2025, 5, 31)).is_overdue is True
    assert stood(recommendation, datetime.date(2025, 6, 1)).is_overdue is False


def test_a_deadline_is_not_overdue_on_its_due_date():
    recommendation = RecommendationFactory()
    DeadlineFactory(recommendation=recommendation, due_date=datetime.date(2025, 12, 31))

    assert stood(recommendation, datetime.date(2025, 12, 31)).is_overdue is False
    assert stood(recommendation, datetime.date(2026, 1, 1)).is_overdue is True


def test_the_headline_response_is_the_lead_owners_latest_given_by_then():
    recommendation = RecommendationFactory()
    lead = OwnershipFactory(recommendation=recommendation).organisation
    supporting = OwnershipFactory(recommendation=recommendation, role="supporting").organisation
    ResponseFactory(
        recommendation=recommendation,
        organisation=lead,
        kind=ResponseKind.UNDER_CONSIDERATION,
        responded_on=datetime.date(2023, 5, 22),
    )
    ResponseFactory(
        recommendation=recommendation,
        organisation=lead,
        kind=ResponseKind.ACCEPTED,
        responded_on=datetime.date(2024, 1, 1),
    )
    ResponseFactory(
        recommendation=recommendation,
        organisation=supporting,
        kind=ResponseKind.NOT_ACCEPTED,
        responded_on=datetime.date(2025, 1, 1),
    )

    assert stood(recommendation, datetime.date(2023, 1, 1)).headline_response is None
    assert stood(recommendation, datetime.date(2023, 6, 1)).headline_response == (
        "under_consideration"
    )
    assert stood(recommendation, datetime.date(2025, 6, 1)).headline_response == "accepted"
    assert stood(recommendation, TODAY).headline_response == "accepted"


def test_reports_not_yet_published_are_left_out_of_a_past_day():
    recommendation = RecommendationFactory(report__published_on=datetime.date(2025, 6, 16))

    assert not recommendations_as_of(on(datetime.date(2025, 6, 15))).filter(pk=recommendation.pk)
    assert recommendations_as_of(on(datetime.date(2025, 6, 16))).filter(pk=recommendation.pk)
