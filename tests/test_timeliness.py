"""Timeliness says what is known, and response clocks: through HTTP."""

import csv
import datetime
import io

import pytest
import time_machine
from django.urls import reverse

from tests.factories import ResponseFactory
from tests.factories_pages import NOW, build_sample
from tests.test_views_public import text_of
from tracker.models import Deadline, Ownership, ResponseKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample():
    with time_machine.travel(NOW, tick=False):
        yield build_sample()


def test_past_due_is_not_called_missed_unless_a_source_says_so(client, sample):
    page = text_of(client.get("/reports/test-inquiry/1/"))
    assert (
        "Deadline Past due with no report of delivery: due 31 December 2025, 327 days ago" in page
    )
    assert "Missed: due 31 December 2025" not in page

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
    assert text_of(client.get("/")).count("· 1 without a response or decision when due") == 2
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


def test_a_deadline_replaced_after_it_fell_due_is_missed_everywhere(client, sample):
    """Test 1's first deadline (due 31 March 2025) was replaced on 1 May 2025: missed."""
    first = sample.first_deadline
    assert list(Deadline.objects.missed(NOW.date())) == [first]
    assert not Deadline.objects.missed(
        datetime.date(2025, 4, 30), as_known_on=datetime.date(2025, 4, 30)
    )

    page = text_of(client.get("/reports/test-inquiry/1/"))
    assert (
        "Missed: replaced after it fell due (due 31 March 2025; the new date was promised on "
        "1 May 2025)" in page
    )
    assert "moved once; missed once before; now due the end of 2025" in page
    note = "an earlier deadline, due 31 March 2025, was missed: replaced after it fell due"
    assert note in page
    assert note in text_of(client.get("/recommendations/"))
    rows = list(csv.DictReader(io.StringIO(download(client, "csv").decode("utf-8-sig"))))
    assert [row["Deadlines missed"] for row in rows] == ["1", "0", "0"]
    assert note in rows[0]["Deadline"]
    api = client.get("/api/recommendations/test-inquiry/1/").json()
    assert api["deadlines_missed"] == 1
    assert note in text_of(client.get("/"))
    owners = text_of(client.get("/owners/example-lead/"))
    assert "Deadlines missed 1 (a source says so, or replaced after it fell due)" in owners

    # Before the replacement was promised, it was only past due with no report of delivery.
    before = text_of(client.get("/reports/test-inquiry/1/?as_of=2025-04-30"))
    assert "Past due with no report of delivery: due 31 March 2025, 30 days ago" in before
    assert "Missed" not in before
    assert (
        client.get("/api/recommendations/test-inquiry/1/?as_of=2025-04-30").json()[
            "deadlines_missed"
        ]
        == 0
    )
    assert "Deadlines missed 0" in text_of(client.get("/owners/example-lead/?as_of=2025-04-30"))


def test_a_deadline_replaced_before_it_fell_due_or_on_an_unknown_day_is_not_missed(client, sample):
    Deadline.objects.filter(pk=sample.moved_deadline.pk).update(
        promised_on=datetime.date(2025, 3, 31)  # on its due date: not after it
    )
    page = text_of(client.get("/reports/test-inquiry/1/"))
    assert "Replaced before it fell due (on 31 March 2025; it was due 31 March 2025)" in page
    assert "was missed" not in page
    assert not Deadline.objects.missed(NOW.date()).exists()
    assert client.get("/api/recommendations/test-inquiry/1/").json()["deadlines_missed"] == 0

    Deadline.objects.filter(pk=sample.moved_deadline.pk).update(promised_on=None)
    page = text_of(client.get("/reports/test-inquiry/1/"))
    assert "Replaced by a later date (when it was replaced is not known)" in page
    assert not Deadline.objects.missed(NOW.date()).exists()
    # A source saying it was missed counts, whenever it was replaced.
    Deadline.objects.filter(pk=sample.first_deadline.pk).update(missed_on=datetime.date(2025, 4, 2))
    page = text_of(client.get("/reports/test-inquiry/1/"))
    assert "Missed (a source said so on 2 April 2025), then replaced" in page
    assert list(Deadline.objects.missed(NOW.date())) == [sample.first_deadline]
    assert "Deadlines missed 1" in text_of(client.get("/owners/example-lead/"))


def download(client, export_format: str) -> bytes:
    response = client.get(f"/recommendations/?_export={export_format}")
    return b"".join(response.streaming_content)


def test_the_day_a_response_or_a_decision_became_late_is_a_change_in_the_page_and_feed(
    client, sample
):
    """Second 1 has had no response since one was due on 16 December 2025 (the default rule)."""
    changes = text_of(client.get("/changes/?since=2025-12-01&until=2025-12-31"))
    assert "Responses and decisions that became late" in changes
    assert "Second 1: response late" in changes
    assert "Late since 17 December 2025." in changes
    # A date passing is recorded by nobody: not in what was recorded.
    recorded = text_of(client.get("/changes/?view=recorded&since=2025-12-01&until=2025-12-31"))
    assert "response late" not in recorded

    feed = client.get("/changes.atom?days=366").content.decode()
    assert "Response late: Second 1: response late" in feed
    assert "<updated>2025-12-17T00:00:00+00:00</updated>" in feed

    # Left under consideration with a decision promised for 31 October 2026: late from 1 November.
    ResponseFactory(
        recommendation=sample.done,
        organisation=sample.lead,
        kind=ResponseKind.UNDER_CONSIDERATION,
        responded_on=datetime.date(2026, 1, 15),
        decision_due_on=datetime.date(2026, 10, 31),
    )
    feed = client.get("/changes.atom").content.decode()  # the last 30 days
    assert "Response late: Second 1: decision late" in feed
    assert "<updated>2026-11-01T00:00:00+00:00</updated>" in feed
    assert "a decision was promised by 31 October 2026. Late since 1 November 2026." in feed
    # And in what moved between two days.
    moved = text_of(client.get("/compare/?from=2026-10-01&to=2026-11-23"))
    assert "Became late (1)" in moved
    assert "Second 1: Publish an example plan : not late → late (response late)" in moved
    assert "Responses given or become late (1) Second 1: decision late" in moved


def test_late_counts_overdue_and_response_late_once_in_the_filter_api_and_figures(client, sample):
    """Test 1 is overdue; Test 2 and Second 1 await responses; making Test 1's response late
    too leaves three late recommendations, one of them both."""
    Ownership.objects.filter(
        recommendation=sample.overdue
    ).delete()  # no lead: no headline response
    late = client.get("/api/recommendations/?late=yes").json()["results"]
    assert sorted(row["label"] for row in late) == ["Second 1", "Test 1", "Test 2"]
    test_1 = next(row for row in late if row["label"] == "Test 1")
    assert (test_1["is_late"], test_1["is_overdue"], test_1["is_response_late"]) == (
        True,
        True,
        True,
    )
    assert test_1["response_late_since"] == "2023-04-22"
    assert client.get("/api/recommendations/?late=no").json()["count"] == 0
    table = text_of(client.get("/recommendations/?late=yes"))
    assert "No response recorded (late since 22 April 2023)" in table
    overview = text_of(client.get("/"))
    assert (
        "Late 2 of which 1 overdue: past a deadline or missed, with no report of delivery · 2 "
        "without a response or decision when due (1 both, counted once)." in overview
    )
    owners = client.get("/owners/?sort=-late").content.decode()
    assert '<th scope="col" aria-sort="descending"><a href="?sort=late">Late' in owners
    methodology = text_of(client.get("/methodology/"))
    assert "Late , as a headline figure, counts the recommendations that are overdue" in methodology
    assert "replaced before it fell due" in methodology


def test_the_deadlines_api_says_which_were_missed_and_why(client, sample):
    rows = {row["id"]: row for row in client.get("/api/deadlines/").json()["results"]}
    first = rows[sample.first_deadline.pk]
    assert (first["state"], first["is_missed"], first["missed_on"]) == ("superseded", True, None)
    assert first["timeliness"] == (
        "Missed: replaced after it fell due (due 31 March 2025; the new date was promised on "
        "1 May 2025)"
    )
    moved = rows[sample.moved_deadline.pk]
    assert (moved["is_overdue"], moved["is_missed"]) == (True, False)
    assert moved["timeliness"] == (
        "Past due with no report of delivery: due 31 December 2025, 327 days ago"
    )
    met = next(row for row in rows.values() if row["met_on"])
    assert met["timeliness"] == "Met on time: met on 1 May 2026, due 30 June 2026"
