"""What happened vs what was recorded, and what moved between two days, through HTTP."""

import csv
import datetime
import io

import pytest
import time_machine

from tests.factories import DeadlineFactory, ResponseFactory
from tests.factories_pages import LONDON, build_sample, publish
from tests.test_views_public import text_of
from tracker.models import Check, ImplementationStatus, Report, ResponseKind

pytestmark = pytest.mark.django_db

DEC_5 = datetime.datetime(2026, 12, 5, 12, 0, tzinfo=LONDON)


def at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=LONDON)


@pytest.fixture
def autumn():
    """The sample, loaded on 1 March 2026, with an autumn of developments recorded late and a
    backlog of old facts recorded in the autumn."""
    with time_machine.travel(DEC_5, tick=False):
        sample = build_sample()
        Report.objects.update(created_at=at(datetime.date(2026, 3, 1)))
        # Happened in the autumn, recorded in December.
        publish(
            sample.overdue,
            describes_on=datetime.date(2026, 10, 15),
            published_at=at(datetime.date(2026, 12, 2)),
            status=ImplementationStatus.PARTIALLY_IMPLEMENTED,
            summary="The example authority opened its first office.",
        )
        # Happened in 2025, recorded in the autumn.
        publish(
            sample.unknown,
            describes_on=datetime.date(2025, 2, 1),
            published_at=at(datetime.date(2026, 10, 1)),
            status=ImplementationStatus.NOT_STARTED,
            summary="An example backlog entry.",
        )
        ResponseFactory(
            recommendation=sample.unknown,
            organisation=sample.lead,
            kind=ResponseKind.UNDER_CONSIDERATION,
            responded_on=datetime.date(2026, 9, 10),
            source_title="Example interim response",
        )
        DeadlineFactory(
            recommendation=sample.unknown,
            organisation=sample.lead,
            commitment="Decide on the example proposal",
            stated_as="by 30 November 2026",
            precision="day",
            due_date=datetime.date(2026, 11, 30),
            promised_on=datetime.date(2026, 9, 10),
        )
        Check.objects.create(
            recommendation=sample.overdue,
            checked_on=datetime.date(2026, 11, 20),
            checked_by_name="Example editor",
        )
        yield sample


def test_what_happened_between_1_september_and_1_december_2026(client, autumn):
    """The researcher's first question: developments dated by the day they describe."""
    with time_machine.travel(DEC_5, tick=False):
        response = client.get("/changes/?since=2026-09-01&until=2026-12-01")
    text = text_of(response)

    assert response.status_code == 200
    assert "What happened from 1 September 2026 to 1 December 2026" in text
    # The autumn update, the response, the deadline promised, the deadline that passed.
    assert "4 developments from 1 September 2026 to 1 December 2026" in text
    assert "The example authority opened its first office." in text
    assert "Test 2: Example Department Lead under consideration" in text
    assert "Test 2: deadline set for 30 November 2026" in text
    assert "Test 2: past due since 1 December 2026" in text
    # Recorded in the period, but it describes 2025: not a development of the autumn.
    assert "An example backlog entry." not in text


def test_what_was_recorded_groups_the_initial_load_apart(client, autumn):
    with time_machine.travel(DEC_5, tick=False):
        recorded = text_of(client.get("/changes/?view=recorded&since=2026-09-01"))
        loaded = text_of(client.get("/changes/?view=recorded&since=2026-03-01&until=2026-03-01"))

    assert "What was recorded since 1 September 2026" in recorded
    assert "An example backlog entry." in recorded
    assert "The example authority opened its first office." in recorded
    assert "Recorded when a report was first loaded" not in recorded
    assert "Recorded when a report was first loaded" in loaded
    assert "0 entries recorded from 1 March 2026 to 1 March 2026" in loaded


def test_what_the_dashboard_said_on_1_january_2026_and_what_moved_since(client, autumn):
    """The researcher's second question: a past dashboard, then the comparison with today."""
    with time_machine.travel(DEC_5, tick=False):
        then = client.get("/?as_of=2026-01-01")
        moved = client.get("/compare/?from=2026-01-01&to=2026-12-05")
        download = client.get("/compare/?from=2026-01-01&to=2026-12-05&format=csv")

    then_text = text_of(then)
    assert "1 January 2026" in then_text
    assert "In progress" in then_text
    text = text_of(moved)
    assert "What moved from 1 January 2026 to 5 December 2026" in text
    assert "Test 1: Create an example authority : In progress → Partially implemented" in text
    assert "Second 1: Publish an example plan : Not yet assessed → Implemented" in text
    # Test 2 has no lead owner, so no response counts as its headline one: its response was
    # late then and is still; its decision deadline passed on 30 November, so it is overdue too.
    assert "Became late (0)" in text
    assert (
        "Late on both days, for another reason (1) Test 2 : late (response late) → "
        "late (overdue; response late)" in text
    )
    assert "Test 2: deadline set for 30 November 2026" in text
    assert "Checks for new developments (1)" in text
    assert "20 November 2026: Test 1 — Nothing new" in text

    assert download["Content-Type"].startswith("text/csv")
    assert "compare-2026-01-01-2026-12-05.csv" in download["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    status_rows = [r for r in rows if r["what"] == "status changed"]
    assert {(r["recommendation"], r["before"], r["after"]) for r in status_rows} >= {
        ("Test 1", "In progress", "Partially implemented"),
    }
    assert any(r["what"] == "checked" and r["on"] == "2026-11-20" for r in rows)
    assert {
        (r["recommendation"], r["before"], r["after"])
        for r in rows
        if r["what"] == "late for another reason"
    } == {("Test 2", "late (response late)", "late (overdue; response late)")}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-01", "is not a date"),
        ("from=2026-06-01&to=2026-01-01", "comes before the first"),
        ("to=2027-01-01", "in the future"),
        ("format=xml", "format must be"),
    ],
)
def test_compare_refuses_bad_dates(client, autumn, query, message):
    with time_machine.travel(DEC_5, tick=False):
        response = client.get(f"/compare/?{query}")
    assert response.status_code == 400
    assert message in text_of(response)


def test_changes_refuse_an_unknown_view(client, autumn):
    with time_machine.travel(DEC_5, tick=False):
        assert client.get("/changes/?view=everything").status_code == 400
        assert client.get("/changes.atom?view=everything").status_code == 400


def test_the_comparison_takes_a_constant_number_of_queries(
    client, autumn, django_assert_max_num_queries
):
    with time_machine.travel(DEC_5, tick=False):
        with django_assert_max_num_queries(14):
            client.get("/compare/?from=2026-01-01&to=2026-12-05")
        for number in range(3, 40):
            publish(
                autumn.report.recommendations.create(
                    number=number, text="An example.", text_kind="summary"
                ),
                describes_on=datetime.date(2026, 6, 1),
                status=ImplementationStatus.IN_PROGRESS,
            )
        with django_assert_max_num_queries(14):
            client.get("/compare/?from=2026-01-01&to=2026-12-05")
