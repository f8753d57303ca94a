"""Checks: the admin list, the one-click "Checked, nothing new", and the last-checked annotation."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from tests.factories import RecommendationFactory, UserFactory, make_editor
from tracker.models import Check, Recommendation

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 5)


@pytest.fixture
def editor_client(client):
    editor = make_editor()
    editor.first_name, editor.last_name = "Example", "Editor"
    editor.save()
    client.force_login(editor)
    return client


@time_machine.travel("2026-12-05 10:00 +0000", tick=False)
def test_the_button_on_a_recommendation_records_checked_nothing_new(editor_client):
    recommendation = RecommendationFactory()
    change = reverse("admin:tracker_recommendation_change", args=[recommendation.pk])
    page = editor_client.get(change).content.decode()
    assert "Checked, nothing new" in page
    assert "Never checked for new developments." in page

    button = reverse("admin:tracker_recommendation_checked_nothing_new", args=[recommendation.pk])
    assert editor_client.get(button).status_code == 405  # a change: POST only
    response = editor_client.post(button, follow=True)

    check = Check.objects.get()
    assert (check.recommendation, check.checked_on, check.outcome) == (
        recommendation,
        TODAY,
        Check.Outcome.NOTHING_NEW,
    )
    assert check.checked_by.username == "editor"
    assert "Last checked for new developments on 5 December 2026 by Example Editor" in (
        response.content.decode()
    )
    # Twice the same day by the same person is one check.
    editor_client.post(button)
    assert Check.objects.count() == 1


@time_machine.travel("2026-12-05 10:00 +0000", tick=False)
def test_the_list_action_records_a_check_for_each_selected(editor_client):
    first, second, _untouched = RecommendationFactory.create_batch(3)
    changelist = reverse("admin:tracker_recommendation_changelist")
    response = editor_client.post(
        changelist,
        {"action": "checked_nothing_new", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert "for 2 recommendation(s)" in response.content.decode()
    assert set(Check.objects.values_list("recommendation", flat=True)) == {first.pk, second.pk}
    listing = editor_client.get(changelist).content.decode()
    assert "5 Dec 2026" in listing
    assert "Never" in listing


def test_people_who_are_not_editors_cannot_record_checks(client):
    recommendation = RecommendationFactory()
    client.force_login(UserFactory(username="staff-without-role"))
    button = reverse("admin:tracker_recommendation_checked_nothing_new", args=[recommendation.pk])
    assert client.post(button).status_code in {302, 403}
    assert not Check.objects.exists()


def test_check_admin_lists_filters_and_searches(editor_client):
    recommendation = RecommendationFactory(title="Example searchable recommendation")
    Check.objects.create(
        recommendation=recommendation,
        checked_on=TODAY,
        checked_by_name="Research assistant",
        outcome=Check.Outcome.RECORDED,
        note="Searched GOV.UK and Hansard.",
    )
    changelist = reverse("admin:tracker_check_changelist")
    page = editor_client.get(changelist + "?outcome__exact=recorded").content.decode()
    assert "Research assistant" in page
    assert "Example searchable recommendation" in page
    assert (
        "Research assistant"
        not in editor_client.get(changelist + "?outcome__exact=nothing_new").content.decode()
    )
    assert "Research assistant" in editor_client.get(changelist + "?q=searchable").content.decode()
    by_recommendation = editor_client.get(
        changelist + f"?recommendation__id__exact={recommendation.pk}"
    )
    assert "Research assistant" in by_recommendation.content.decode()


def test_last_checked_on_is_the_latest_check(django_assert_max_num_queries):
    checked, never = RecommendationFactory.create_batch(2)
    for day in (datetime.date(2026, 1, 1), TODAY, datetime.date(2026, 6, 1)):
        Check.objects.create(recommendation=checked, checked_on=day, checked_by_name="Someone")
    with django_assert_max_num_queries(1):
        found = {r.pk: r.last_checked_on for r in Recommendation.objects.with_last_checked()}
    assert found == {checked.pk: TODAY, never.pk: None}
