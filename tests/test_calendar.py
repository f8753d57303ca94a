"""The iCalendar feed of open deadlines and of the dates responses and decisions are due."""

import datetime

import pytest
import time_machine
from icalendar import Calendar

from tests.factories import (
    DeadlineFactory,
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    ReportFactory,
    ResponseFactory,
)
from tests.factories_open_data import NOW, build_open_data
from tracker.models import ResponseKind

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def parse_calendar(response) -> Calendar:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"])
    return calendar


def events(calendar: Calendar, kind: str = "deadline") -> list:
    """The calendar's events of one kind ("deadline" or "response"), by their UIDs."""
    return [e for e in calendar.walk("VEVENT") if str(e["UID"]).startswith(f"{kind}-")]


def test_one_all_day_event_per_open_deadline(client):
    report = ReportFactory(slug="iicsa", short_name="IICSA")
    recommendation = RecommendationFactory(report=report, number=13, title="Redress scheme")
    home_office = OrganisationFactory(name="Example Office")
    replaced = DeadlineFactory(recommendation=recommendation, due_date=datetime.date(2025, 12, 31))
    current = DeadlineFactory(
        recommendation=recommendation,
        organisation=home_office,
        supersedes=replaced,
        commitment="Consult on the scheme",
        stated_as="by the end of 2026",
        due_date=datetime.date(2026, 12, 31),
        promised_on=datetime.date(2025, 6, 16),
        source_title="Written statement",
    )
    DeadlineFactory(recommendation=recommendation, met_on=datetime.date(2025, 3, 1))
    DeadlineFactory(recommendation=recommendation, withdrawn_on=datetime.date(2025, 3, 1))

    response = client.get("/deadlines.ics")
    calendar = parse_calendar(response)

    [event] = events(calendar)
    assert str(event["SUMMARY"]) == "IICSA 13: Consult on the scheme (by the end of 2026)"
    assert event.decoded("DTSTART") == datetime.date(2026, 12, 31)
    assert event.decoded("DTEND") == datetime.date(2027, 1, 1)
    assert str(event["URL"]) == "http://testserver/reports/iicsa/13/"
    assert str(event["UID"]) == f"deadline-{current.pk}@127.0.0.1"
    description = str(event["DESCRIPTION"])
    assert "IICSA 13: Redress scheme" in description
    assert "Promised by: Example Office." in description
    assert "Promised on: 16 June 2025." in description
    assert (
        "As reported by Example publisher: Written statement, https://example.org/plan"
        in description
    )
    assert "Generated on 23 November 2026" in description
    assert "Overdue" not in description
    assert "Generated on 23 November 2026" in str(calendar["X-WR-CALDESC"])
    assert calendar["X-PUBLISHED-TTL"].to_ical() == b"PT12H"
    assert calendar["REFRESH-INTERVAL"].to_ical() == b"PT12H"
    assert response["X-Data-As-Of"] == "2026-11-23"


def test_uid_is_stable_and_overdue_deadlines_say_so(client):
    deadline = DeadlineFactory(due_date=datetime.date(2025, 12, 31))

    first = events(parse_calendar(client.get("/deadlines.ics")))[0]
    again = events(parse_calendar(client.get("/deadlines.ics")))[0]

    assert first["UID"] == again["UID"] == f"deadline-{deadline.pk}@127.0.0.1"
    assert first.decoded("DTSTAMP") == again.decoded("DTSTAMP")
    assert "Past due with no report of delivery: the due date has passed" in str(
        first["DESCRIPTION"]
    )


def test_report_calendar_is_scoped_and_query_strings_are_refused(client):
    DeadlineFactory(recommendation=RecommendationFactory(report=ReportFactory(slug="one")))
    DeadlineFactory(recommendation=RecommendationFactory(report=ReportFactory(slug="two")))

    assert len(events(parse_calendar(client.get("/reports/one/deadlines.ics")))) == 1
    assert len(events(parse_calendar(client.get("/deadlines.ics")))) == 2
    assert client.get("/reports/none/deadlines.ics").status_code == 404
    refused = client.get("/deadlines.ics?report=one")
    assert refused.status_code == 400
    assert "Unknown query parameter: report" in refused.content.decode()


def test_empty_calendar_is_valid(client):
    assert events(parse_calendar(client.get("/deadlines.ics"))) == []


@pytest.mark.parametrize("count", [32, pytest.param(2000, marks=pytest.mark.slow)])
def test_calendar_issues_a_bounded_number_of_queries(client, django_assert_max_num_queries, count):
    build_open_data(count)

    for url in ["/deadlines.ics", "/reports/example-inquiry/deadlines.ics"]:
        with django_assert_max_num_queries(3):
            response = client.get(url)

        assert len(events(parse_calendar(response))) == count, url


def test_one_event_on_each_date_a_response_or_a_decision_is_due(client):
    """Recommendation 1 awaits a response the report's own date asks for; 2 was left under
    consideration with a decision promised; 3 was answered; 4 under consideration, no date."""
    report = ReportFactory(
        slug="audit",
        short_name="Audit",
        published_on=datetime.date(2026, 6, 1),
        response_due_on=datetime.date(2026, 12, 1),
    )
    owner = OrganisationFactory(name="Example Office")
    awaited, undecided, answered, open_ended = (
        RecommendationFactory(report=report, number=n, title=f"Example {n}") for n in (1, 2, 3, 4)
    )
    for recommendation in (awaited, undecided, answered, open_ended):
        OwnershipFactory(recommendation=recommendation, organisation=owner)
    ResponseFactory(
        recommendation=undecided,
        organisation=owner,
        kind=ResponseKind.UNDER_CONSIDERATION,
        responded_on=datetime.date(2026, 7, 1),
        decision_due_on=datetime.date(2026, 10, 31),
    )
    ResponseFactory(
        recommendation=answered, organisation=owner, responded_on=datetime.date(2026, 7, 1)
    )
    ResponseFactory(
        recommendation=open_ended,
        organisation=owner,
        kind=ResponseKind.UNDER_CONSIDERATION,
        responded_on=datetime.date(2026, 7, 1),
    )

    for url in ["/deadlines.ics", "/reports/audit/deadlines.ics"]:
        decision, response = events(parse_calendar(client.get(url)), "response")
        assert str(decision["UID"]) == f"response-{undecided.pk}@127.0.0.1"
        assert str(decision["SUMMARY"]) == "Audit 2: decision due"
        assert decision.decoded("DTSTART") == datetime.date(2026, 10, 31)
        assert "Under consideration; a decision was promised by 31 October 2026." in str(
            decision["DESCRIPTION"]
        )
        assert "Late since 1 November 2026." in str(decision["DESCRIPTION"])
        assert str(response["SUMMARY"]) == "Audit 1: response due"
        assert response.decoded("DTSTART") == datetime.date(2026, 12, 1)
        assert response.decoded("DTEND") == datetime.date(2026, 12, 2)
        description = str(response["DESCRIPTION"])
        assert "No response recorded; one is due by 1 December 2026 (the date given" in description
        assert "Late since" not in description
        assert str(response["URL"]) == "http://testserver/reports/audit/1/"
    # Answered: the event goes.
    ResponseFactory(
        recommendation=awaited, organisation=owner, responded_on=datetime.date(2026, 11, 20)
    )
    remaining = events(parse_calendar(client.get("/deadlines.ics")), "response")
    assert [str(e["SUMMARY"]) for e in remaining] == ["Audit 2: decision due"]
    other = ReportFactory(slug="other", published_on=datetime.date(2026, 11, 1))
    OwnershipFactory(recommendation=RecommendationFactory(report=other), organisation=owner)
    assert len(events(parse_calendar(client.get("/reports/other/deadlines.ics")), "response")) == 1
    assert len(events(parse_calendar(client.get("/reports/audit/deadlines.ics")), "response")) == 1
