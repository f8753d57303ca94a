"""The ledger refuses what cannot be true: an update describing a day after today, an update about
an organisation that does not own the recommendation, a promise met or dropped before it was
made, and jobs run for days or weeks that have not come. Tried through the admin (as an editor),
the YAML loader, the spreadsheet import and the management commands."""

import datetime
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import (
    DeadlineFactory,
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    ReportFactory,
    StatusUpdateFactory,
    make_editor,
)
from tests.test_import_admin import import_preview, status_update_row, to_csv
from tests.test_loading import TEST_INQUIRY, counts, write
from tracker.models import Deadline, ImplementationStatus, StatusUpdate

pytestmark = pytest.mark.django_db

TODAY = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def editor(client):
    user = make_editor()
    client.force_login(user)
    return user


def draft_form(recommendation, **values):
    return {
        "recommendation": recommendation.pk,
        "organisation": "",
        "describes_on": "2026-03-02",
        "status": "implemented",
        "account": "owner",
        "summary": "Done, it says.",
        "reason": "",
        "source_url": "https://example.org/done",
        **values,
    }


def test_the_admin_refuses_an_update_describing_a_future_day(client, editor):
    recommendation = RecommendationFactory()
    OwnershipFactory(recommendation=recommendation)
    url = reverse("admin:tracker_statusupdate_add")
    response = client.post(url, draft_form(recommendation, describes_on="2031-01-01"))
    assert response.status_code == 200
    assert "give a date on or before today (2 March 2026)" in response.content.decode()
    response = client.post(
        url, {**draft_form(recommendation, describes_on="2031-01-01"), "_publish": "1"}
    )
    assert not StatusUpdate.objects.exists()
    recommendation.refresh_from_db()
    assert recommendation.status == ImplementationStatus.NOT_YET_ASSESSED
    # Today itself is fine.
    assert client.post(url, draft_form(recommendation)).status_code == 302


def test_a_draft_dated_in_the_future_is_never_published(client, editor):
    recommendation = RecommendationFactory()
    with time_machine.travel(TODAY + datetime.timedelta(days=400), tick=False):
        draft = StatusUpdateFactory(
            recommendation=recommendation, describes_on=datetime.date(2027, 1, 1)
        )
    response = client.post(
        reverse("admin:tracker_statusupdate_changelist"),
        {"action": "publish_selected", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert "Not published" in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == StatusUpdate.State.DRAFT


def test_the_admin_refuses_an_update_for_an_organisation_that_is_not_an_owner(client, editor):
    recommendation = RecommendationFactory()
    OwnershipFactory(recommendation=recommendation)
    outsider = OrganisationFactory()
    response = client.post(
        reverse("admin:tracker_statusupdate_add"),
        draft_form(recommendation, organisation=outsider.pk),
    )
    assert response.status_code == 200
    assert "This organisation does not own the recommendation" in response.content.decode()
    assert not StatusUpdate.objects.exists()


def test_the_admin_refuses_a_promise_met_or_dropped_before_it_was_made(client, editor):
    deadline = DeadlineFactory(promised_on=datetime.date(2024, 6, 1))
    url = reverse("admin:tracker_deadline_change", args=[deadline.pk])
    base = {
        "recommendation": deadline.recommendation_id,
        "organisation": "",
        "promised_on": "2024-06-01",
        "source": deadline.source_id,
        "source_title": "",
        "supersedes": "",
        "met_on": "",
        "withdrawn_on": "",
        "change_reason": "",
    }
    for field, words in (("met_on", "met"), ("withdrawn_on", "dropped")):
        response = client.post(url, {**base, field: "2024-05-31"})
        assert response.status_code == 200
        assert f"A promise cannot be {words} before it was made" in response.content.decode()
    deadline.refresh_from_db()
    assert (deadline.met_on, deadline.withdrawn_on) == (None, None)


def test_the_database_refuses_a_promise_met_before_it_was_made():
    from django.db import IntegrityError, transaction

    deadline = DeadlineFactory(promised_on=datetime.date(2024, 6, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Deadline.objects.filter(pk=deadline.pk).update(met_on=datetime.date(2024, 1, 1))


def test_the_yaml_loader_refuses_future_updates_non_owners_and_early_met_dates(tmp_path):
    import copy

    data = copy.deepcopy(TEST_INQUIRY)
    first = data["recommendations"][0]
    first["updates"][0]["describes_on"] = datetime.date(2031, 1, 1)
    second = data["recommendations"][1]
    second["updates"][0]["organisation"] = next(
        o["slug"] for o in data["organisations"] if o["slug"] != "example-agency"
    )
    first["deadlines"][0]["promised_on"] = datetime.date(2025, 6, 1)
    first["deadlines"][0]["met_on"] = datetime.date(2025, 5, 1)
    with pytest.raises(CommandError) as error:
        call_command("load_reports", str(write(tmp_path, data)), stdout=io.StringIO())
    message = str(error.value)
    assert "updates[0].describes_on: 2031-01-01 is after today" in message
    assert "does not own this recommendation" in message
    assert "a promise cannot be met before it was made" in message
    assert set(counts().values()) == {0}


def test_the_spreadsheet_import_refuses_a_future_update(client, editor):
    RecommendationFactory(report=ReportFactory(slug="bulk-test"), number=4)
    preview = import_preview(
        client, "statusupdate", to_csv([status_update_row(describes_on="2031-01-01")]), "u.csv"
    )
    assert "give a date on or before today" in preview.content.decode()
    assert "confirm_form" not in preview.context or preview.context["confirm_form"] is None
    assert not StatusUpdate.objects.exists()


@pytest.mark.parametrize(
    ("command", "argument", "message"),
    [
        ("flag_overdue", "--day=2026-03-03", "2026-03-03 is in the future"),
        ("take_snapshot", "--day=2031-01-01", "2031-01-01 is in the future"),
        ("send_weekly_digests", "--week=2026-W11", "2026-W11 has not started yet"),
    ],
)
def test_jobs_refuse_days_and_weeks_that_have_not_come(command, argument, message):
    with pytest.raises(CommandError, match=message):
        call_command(command, argument, stdout=io.StringIO())


@pytest.mark.parametrize(
    ("command", "argument"),
    [
        ("flag_overdue", "--day=2026-03-02"),
        ("take_snapshot", "--day=2026-03-02"),
        ("send_weekly_digests", "--week=2026-W10"),
    ],
)
def test_jobs_still_run_for_today_and_this_week(command, argument):
    call_command(command, argument, stdout=io.StringIO())
