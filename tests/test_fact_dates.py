"""The freshness line's stored dates (`tracker.fact_dates`) always agree with the records.

Today's line reads `Recommendation.latest_check_on` and `newest_fact_on`; a past day's line
computes the same figures from the records. Whatever an editor does (checks added and removed,
updates published, responses and deadlines recorded, met, deleted), the stored dates and the
computed ones must give the same line, for every listing a page shows.
"""

import datetime

import pytest
import time_machine

from tests.factories import DeadlineFactory, RecommendationFactory, ResponseFactory
from tests.factories_pages import NOW, TODAY, build_sample, publish
from tracker.as_of import AsOf
from tracker.models import Check, Recommendation
from tracker.public.freshness import _freshness_then, freshness_of

pytestmark = pytest.mark.django_db

TODAY_VIEW = AsOf(day=TODAY, today=TODAY)


def assert_stored_dates_agree() -> None:
    listings = [
        Recommendation.objects.all(),
        Recommendation.objects.filter(report__slug="test-inquiry"),
        Recommendation.objects.filter(report__slug="second-inquiry"),
        *(
            Recommendation.objects.filter(pk=pk)
            for pk in Recommendation.objects.values_list("pk", flat=True)
        ),
    ]
    for listing in listings:
        assert freshness_of(listing, TODAY_VIEW) == _freshness_then(listing, TODAY_VIEW)


@pytest.fixture
def sample():
    with time_machine.travel(NOW, tick=False):
        yield build_sample()


def test_the_stored_dates_follow_every_kind_of_record(sample):
    with time_machine.travel(NOW, tick=False):
        assert_stored_dates_agree()
        check = Check.objects.create(
            recommendation=sample.overdue, checked_on=datetime.date(2026, 11, 2)
        )
        Check.objects.create(recommendation=sample.done, checked_on=datetime.date(2026, 6, 30))
        assert_stored_dates_agree()
        assert (
            freshness_of(Recommendation.objects.all(), TODAY_VIEW).newest_check == check.checked_on
        )

        check.delete()
        assert_stored_dates_agree()
        assert freshness_of(Recommendation.objects.all(), TODAY_VIEW).newest_check == datetime.date(
            2026, 6, 30
        )

        publish(sample.unknown, describes_on=datetime.date(2026, 11, 20))
        assert_stored_dates_agree()
        assert Recommendation.objects.get(pk=sample.unknown.pk).newest_fact_on == (
            datetime.date(2026, 11, 20)
        )

        response = ResponseFactory(
            recommendation=sample.done, responded_on=datetime.date(2026, 11, 21)
        )
        assert_stored_dates_agree()
        response.delete()
        assert_stored_dates_agree()

        deadline = DeadlineFactory(
            recommendation=sample.done, promised_on=datetime.date(2026, 11, 22)
        )
        assert_stored_dates_agree()
        deadline.met_on = datetime.date(2026, 11, 23)
        deadline.save()
        assert_stored_dates_agree()
        assert freshness_of(Recommendation.objects.all(), TODAY_VIEW).newest_fact == TODAY


def test_a_new_recommendation_has_no_dates_until_something_is_recorded(sample):
    with time_machine.travel(NOW, tick=False):
        fresh = RecommendationFactory(report=sample.report, number=99)
        line = freshness_of(Recommendation.objects.filter(pk=fresh.pk), TODAY_VIEW)
        assert line.newest_fact is None
        assert line.never_checked == 1
        assert_stored_dates_agree()
