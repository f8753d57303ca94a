"""Today's scorecards are counted one way (a filtered count per figure, over stored columns) and
a past day's another (grouped rows): both must give the same figures for the same rows."""

import copy
import datetime

import pytest
import time_machine

from tests.factories import RecommendationFactory, ResponseFactory, StatusUpdateFactory
from tests.factories_pages import NOW, TODAY, build_sample, publish
from tracker.as_of import AsOf, recommendations_as_of
from tracker.models import Account, ImplementationStatus, Report
from tracker.public.scorecards import Scorecard, count_then, count_today, report_scorecards

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample():
    with time_machine.travel(NOW, tick=False):
        sample = build_sample()
        extra = RecommendationFactory(report=sample.report, number=7)
        publish(extra, describes_on=datetime.date(2026, 2, 1), account=Account.OWNER)
        publish(
            extra,
            describes_on=datetime.date(2026, 3, 1),
            account=Account.INDEPENDENT,
            status=ImplementationStatus.NOT_STARTED,
        )
        ResponseFactory(recommendation=sample.unknown, kind="under_consideration")
        StatusUpdateFactory(recommendation=extra)  # a draft counts for nothing
        yield sample


def test_both_ways_of_counting_give_the_same_scorecards(sample):
    with time_machine.travel(NOW, tick=False):
        today = AsOf(day=TODAY, today=TODAY)
        cards = {r.pk: Scorecard(report=r) for r in Report.objects.all()}
        by_filtered_counts, by_groups = copy.deepcopy(cards), copy.deepcopy(cards)
        rows = recommendations_as_of(today, responses=False)
        count_today(by_filtered_counts, rows)
        count_then(by_groups, rows)
        assert by_filtered_counts == by_groups
        assert sum(card.total for card in by_groups.values()) == 4
        assert any(card.disputed for card in by_groups.values())
        shown = {card.report.pk: card for card in report_scorecards(today)}
        assert shown
        for pk, card in shown.items():
            assert (card.total, card.by_status, card.overdue) == (
                by_groups[pk].total,
                by_groups[pk].by_status,
                by_groups[pk].overdue,
            )
