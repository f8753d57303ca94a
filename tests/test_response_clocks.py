"""The stored response clock (`Recommendation.response_late_from`) agrees with the one computed
from the responses, whatever the records and however they were saved."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Q

from tests.factories import (
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    ReportFactory,
    ResponseFactory,
)
from tests.factories_pages import NOW, TODAY
from tracker.as_of import with_headline_response
from tracker.jobs.overdue import flag_overdue
from tracker.models import Organisation, Ownership, Recommendation, Report, Response, ResponseKind
from tracker.response_clocks import refresh_response_clocks

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def _pinned_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def stored() -> dict[int, tuple[D | None, bool]]:
    rows = with_headline_response(Recommendation.objects.all()).values_list(
        "pk", "response_late_from", "is_response_late"
    )
    return {pk: (late_from, late) for pk, late_from, late in rows}


def computed(day: D = TODAY) -> dict[int, tuple[D | None, bool]]:
    rows = with_headline_response(Recommendation.objects.all(), day).values_list(
        "pk", "response_late_since", "is_response_late"
    )
    return {pk: (late_from, late) for pk, late_from, late in rows}


def assert_in_step() -> dict[int, tuple[D | None, bool]]:
    now = stored()
    assert now == computed()
    return now


def led(recommendation, organisation=None, **response):
    organisation = organisation or OrganisationFactory()
    OwnershipFactory(recommendation=recommendation, organisation=organisation)
    if response:
        ResponseFactory(recommendation=recommendation, organisation=organisation, **response)
    return organisation


@pytest.fixture
def cases():
    """One recommendation per case the clock distinguishes (today is 23 November 2026)."""
    old = ReportFactory(published_on=D(2022, 10, 20))  # default rule: due 21 April 2023
    recent = ReportFactory(published_on=D(2026, 10, 1))  # default rule: due 2 April 2027
    dated = ReportFactory(published_on=D(2025, 1, 1), response_due_on=D(2026, 11, 22))
    dated_later = ReportFactory(published_on=D(2025, 1, 1), response_due_on=D(2026, 11, 23))
    government = OrganisationFactory(kind=Organisation.Kind.GOVERNMENT)
    made = {}

    def case(name, report, **kwargs):
        made[name] = RecommendationFactory(report=report, **kwargs)
        return made[name]

    case("no owner, no response", old)
    led(case("lead, no response", old))
    led(case("not yet due", recent))
    led(case("due yesterday", dated))
    led(case("due today", dated_later))
    led(case("awaiting", old), kind=ResponseKind.AWAITING, responded_on=None)
    led(case("accepted", old), kind=ResponseKind.ACCEPTED)
    led(
        case("undecided, date passed", old),
        kind=ResponseKind.UNDER_CONSIDERATION,
        decision_due_on=D(2026, 3, 31),
    )
    led(
        case("undecided, date to come", old),
        kind=ResponseKind.UNDER_CONSIDERATION,
        decision_due_on=D(2027, 3, 31),
    )
    led(case("undecided, no date", old), kind=ResponseKind.UNDER_CONSIDERATION)
    # A department leads; its government answered for it.
    answered_for = case("government answered", old)
    led(answered_for)
    ResponseFactory(recommendation=answered_for, organisation=government)
    # The lead's own response counts before the government's.
    own = case("lead answered too", old)
    led(own, kind=ResponseKind.UNDER_CONSIDERATION, decision_due_on=D(2026, 1, 31))
    ResponseFactory(recommendation=own, organisation=government)
    # The newest response counts; an undated one comes last.
    newest = case("newest response counts", old)
    organisation = led(newest, kind=ResponseKind.ACCEPTED, responded_on=D(2023, 5, 22))
    ResponseFactory(
        recommendation=newest,
        organisation=organisation,
        kind=ResponseKind.UNDER_CONSIDERATION,
        responded_on=D(2024, 5, 22),
        decision_due_on=D(2025, 5, 31),
    )
    ResponseFactory(
        recommendation=newest,
        organisation=organisation,
        kind=ResponseKind.AWAITING,
        responded_on=None,
    )
    return made


def test_stored_and_computed_agree_on_every_case(cases):
    now = assert_in_step()
    expected = {
        "no owner, no response": (D(2023, 4, 22), True),
        "lead, no response": (D(2023, 4, 22), True),
        "not yet due": (D(2027, 4, 3), False),
        "due yesterday": (D(2026, 11, 23), True),
        "due today": (D(2026, 11, 24), False),
        "awaiting": (D(2023, 4, 22), True),
        "accepted": (None, False),
        "undecided, date passed": (D(2026, 4, 1), True),
        "undecided, date to come": (D(2027, 4, 1), False),
        "undecided, no date": (None, False),
        "government answered": (None, False),
        "lead answered too": (D(2026, 2, 1), True),
        "newest response counts": (D(2025, 6, 1), True),
    }
    assert {name: now[rec.pk] for name, rec in cases.items()} == expected


def test_the_clock_follows_saves_and_deletes_of_what_it_depends_on(cases):
    # A response given: no clock runs any more.
    lead = Ownership.objects.get(recommendation=cases["lead, no response"])
    response = ResponseFactory(
        recommendation=cases["lead, no response"], organisation=lead.organisation
    )
    assert assert_in_step()[cases["lead, no response"].pk] == (None, False)
    # Deleted again (a mistake corrected): the clock is back.
    response.delete()
    assert assert_in_step()[cases["lead, no response"].pk] == (D(2023, 4, 22), True)
    # A decision date moved by editing the response.
    undecided = Response.objects.get(recommendation=cases["undecided, date to come"])
    undecided.decision_due_on = D(2026, 10, 31)
    undecided.save()
    assert assert_in_step()[cases["undecided, date to come"].pk] == (D(2026, 11, 1), True)
    # The report gives a response date: it replaces the default rule for all its recommendations.
    report = cases["lead, no response"].report
    report.response_due_on = D(2027, 1, 31)
    report.save()
    assert assert_in_step()[cases["lead, no response"].pk] == (D(2027, 2, 1), False)
    # The lead changes to an owner that answered.
    answered = cases["government answered"]
    answered_lead = Ownership.objects.get(recommendation=answered)
    answered_lead.delete()
    assert assert_in_step()[answered.pk] == (None, False)  # the government's answer still counts
    government = Organisation.objects.get(kind=Organisation.Kind.GOVERNMENT)
    government.kind = Organisation.Kind.DEPARTMENT
    government.save()
    # No lead and no government's answer: unanswered.
    assert assert_in_step()[answered.pk] == (D(2027, 2, 1), False)
    OwnershipFactory(recommendation=answered, organisation=government)
    assert assert_in_step()[answered.pk] == (None, False)
    # A recommendation moved to another report takes that report's clock.
    moved = cases["no owner, no response"]
    moved.report = Report.objects.get(response_due_on=D(2026, 11, 22))
    moved.save()
    assert assert_in_step()[moved.pk] == (D(2026, 11, 23), True)


def test_past_days_compute_the_clock_from_the_responses_given_by_then(cases):
    """Before the decision was promised, the undecided recommendation was simply unanswered."""
    newest = cases["newest response counts"]
    on = {
        D(2023, 4, 21): (D(2023, 4, 22), False),  # due that day
        D(2023, 5, 1): (D(2023, 4, 22), True),  # unanswered, late
        D(2023, 6, 1): (None, False),  # accepted on 22 May 2023
        D(2025, 6, 1): (D(2025, 6, 1), True),  # under consideration past 31 May 2025
    }
    for day, expected in on.items():
        assert computed(day)[newest.pk] == expected, day


def test_bulk_writes_are_caught_up_by_the_daily_job_and_by_the_headline_refresh(cases, settings):
    Recommendation.objects.update(response_late_from=None)  # as a bulk write leaves them
    assert stored() != computed()
    flag_overdue(TODAY)
    assert_in_step()
    # A new default rule is applied by the next daily run.
    settings.RESPONSE_DUE_DAYS = 90
    assert stored() != computed()
    flag_overdue(TODAY)
    assert assert_in_step()[cases["lead, no response"].pk] == (D(2023, 1, 19), True)


def test_the_stored_clock_is_what_the_late_filter_and_figures_read(cases, client):
    late_ids = set(
        Recommendation.objects.filter(Q(response_late_from__lte=TODAY)).values_list("pk", flat=True)
    )
    assert late_ids == {pk for pk, (_, late) in computed().items() if late}
    api = client.get("/api/recommendations/?response_late=yes&page_size=100").json()
    assert len(api["results"]) == len(late_ids) == 7
    # What the pages read is the stored day: change it behind the signals' back and they follow.
    accepted = cases["accepted"]
    Recommendation.objects.filter(pk=accepted.pk).update(response_late_from=D(2020, 1, 1))
    api = client.get("/api/recommendations/?response_late=yes&page_size=100").json()
    assert len(api["results"]) == 8
    refresh_response_clocks(Recommendation.objects.filter(pk=accepted.pk))
    assert_in_step()


def test_loading_the_shipped_reports_stores_each_clock_as_computed():
    """The report files' loader saves responses, owners and reports one by one: the signals keep
    every stored clock in step, as the computed one is."""
    call_command("load_reports", stdout=io.StringIO())
    assert Recommendation.objects.count() >= 32
    assert_in_step()
