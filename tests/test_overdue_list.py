"""The dashboard's longest-overdue list: the recommendations whose earliest overdue deadline is
oldest, whatever the number of deadlines each has."""

import datetime

import pytest

from tests.factories import DeadlineFactory, RecommendationFactory, ReportFactory
from tracker.as_of import AsOf
from tracker.models import Deadline
from tracker.public.views import longest_overdue_ids

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 23)
TODAY_VIEW = AsOf(day=TODAY, today=TODAY)


def overdue(recommendation, *days: datetime.date) -> None:
    for day in days:
        DeadlineFactory(
            recommendation=recommendation,
            due_date=day,
            precision=Deadline.Precision.DAY,
            stated_as=f"by {day}",
        )


def test_the_longest_overdue_come_first_then_the_earlier_report_then_the_lower_number():
    older = ReportFactory(slug="older", published_on=datetime.date(2020, 1, 1))
    newer = ReportFactory(slug="newer", published_on=datetime.date(2022, 1, 1))
    late = RecommendationFactory(report=newer, number=1)
    tied_newer = RecommendationFactory(report=newer, number=2)
    tied_older = RecommendationFactory(report=older, number=5)
    not_yet = RecommendationFactory(report=older, number=1)
    overdue(late, datetime.date(2024, 1, 31), datetime.date(2026, 1, 31))
    overdue(tied_newer, datetime.date(2025, 3, 31))
    overdue(tied_older, datetime.date(2025, 3, 31))
    overdue(not_yet, datetime.date(2027, 3, 31))
    assert longest_overdue_ids(TODAY_VIEW, 10) == [late.pk, tied_older.pk, tied_newer.pk]
    assert longest_overdue_ids(TODAY_VIEW, 2) == [late.pk, tied_older.pk]


def test_a_recommendation_with_many_overdue_deadlines_does_not_crowd_out_the_others():
    """The first rows read may all be one recommendation's: the grouped count answers then."""
    report = ReportFactory()
    crowded = RecommendationFactory(report=report, number=1)
    second = RecommendationFactory(report=report, number=2)
    third = RecommendationFactory(report=report, number=3)
    overdue(crowded, *(datetime.date(2024, 1, day) for day in range(1, 11)))
    overdue(second, datetime.date(2025, 6, 30))
    overdue(third, datetime.date(2025, 9, 30))
    assert longest_overdue_ids(TODAY_VIEW, 2) == [crowded.pk, second.pk]
    assert longest_overdue_ids(TODAY_VIEW, 3) == [crowded.pk, second.pk, third.pk]
