"""Timeliness says what is known, and response clocks: through HTTP."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from tests.factories import ResponseFactory
from tests.factories_pages import NOW, build_sample
from tests.test_views_public import text_of
from tracker.models import Deadline, ResponseKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample():
    with time_machine.travel(NOW, tick=False):
        yield build_sample()


def test_past_due_is_not_called_missed_unless_a_source_says_so(client, sample):
    page = text_of(client.get("/reports/test-inquiry/1/"))
    assert "Past due with no report of delivery: due 31 December 2025, 327 days ago" in page
    assert "Missed" not in page

    Deadline.objects.filter(pk=sample.moved_deadline.pk).update(missed_on=datetime.date(2026, 2, 1))
    page = text_of(client.get("/reports/test-inquiry/1/"))
    assert "Missed: due 31 December 2025, 327 days ago (a source says so)" in page
    table = text_of(client.get("/recommendations/"))
    assert "Missed: due 31 December 2025" in table


def test_due_soon_and_not_yet_due(client, sample):
    Deadline.objects.filter(pk=sample.moved_deadline.pk).update(
        due_date=datetime.date(2026, 12, 31)
    )
    assert "Due soon: 31 December 2026" in text_of(client.get("/reports/test-inquiry/1/"))
    Deadline.objects.filter(pk=sample.moved_deadline.pk).update(
        due_date=datetime.date(2027, 12, 31)
    )
    assert "Not yet due: 31 December 2027" in text_of(client.get("/reports/test-inquiry/1/"))
    assert "No deadline set" in text_of(client.get("/reports/test-inquiry/2/"))


def test_which_recommendations_the_government_has_not_answered_or_not_decided(client, sample):
    """The researcher's fourth question, from the table's filter, the overview and the API."""
    # Test 2 has no response; the report came out in 2022, so one was due long ago by the
    # default rule. Second 1 was left under consideration past the promised decision date.
    ResponseFactory(
        recommendation=sample.done,
        organisation=sample.lead,
        kind=ResponseKind.UNDER_CONSIDERATION,
        responded_on=datetime.date(2025, 9, 1),
        decision_due_on=datetime.date(2026, 3, 31),
    )
    late = text_of(client.get("/recommendations/?response_late=yes"))
    assert "Title not yet known" in late  # Test 2
    assert "Publish an example plan" in late  # Second 1
    assert "Create an example authority" not in late  # accepted in 2023
    page = text_of(client.get("/reports/test-inquiry/2/"))
    assert (
        "Late: no response recorded, although one was due by 21 April 2023 (183 days after "
        "publication, this tracker's default rule)." in page
    )
    undecided = text_of(client.get("/reports/second-inquiry/1/"))
    assert "Late: still under consideration; a decision was promised by 31 March 2026." in undecided
    # One in each report's figures on the overview.
    assert text_of(client.get("/")).count("Response not given or not decided in time 1") == 2
    api = client.get("/api/recommendations/?response_late=yes").json()
    assert sorted(row["label"] for row in api["results"]) == ["Second 1", "Test 2"]
    # A report's own response date replaces the default rule.
    sample.report.response_due_on = datetime.date(2027, 1, 31)
    sample.report.save()
    assert "Title not yet known" not in text_of(client.get("/recommendations/?response_late=yes"))


def test_the_methodology_defines_the_words_and_the_rules(client, sample):
    text = text_of(client.get(reverse("methodology")))
    for words in [
        "Past due with no report of delivery",
        "Missed",
        "Met on time",
        "Met late",
        "Withdrawn",
        "Due soon",
        "Not yet due",
        "No deadline set",
        "an owner's later statement never replaces it",
        "183 days after publication",
        "What happened and what was recorded",
        "Last checked",
    ]:
        assert words in text, words
