"""Subscriptions over HTTP: double opt-in, notices after commit, one-click unsubscribe.

Celery runs tasks eagerly here so that each step can be checked at once; a real worker over Redis
carries the same tasks in tests/test_worker.py.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.test import Client

from config.celery import app
from tests.factories import (
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    StatusUpdateFactory,
)
from tracker.models import EmailLog, StatusUpdate, Subscription
from tracker.updates import publish_update

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://[^\s<>\"]+")


@pytest.fixture(autouse=True)
def eager_tasks(settings):
    settings.SITE_URL = "https://tracker.example.org"
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    cache.clear()
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False


@pytest.fixture
def recommendation():
    rec = RecommendationFactory(title="Publish the example plan")
    OwnershipFactory(recommendation=rec, organisation=OrganisationFactory(slug="example-body"))
    return rec


def subscribe_url(rec) -> str:
    return f"{rec.get_absolute_url()}subscribe/"


def subscribe(client, url, email, capture):
    with capture(execute=True):
        return client.post(url, {"email": email})


def path_of(url: str) -> str:
    return urlsplit(url).path


def publish(capture, rec, summary="An example step was taken.") -> StatusUpdate:
    update = StatusUpdateFactory(recommendation=rec, summary=summary)
    with capture(execute=True):
        assert publish_update(update)
    return update


def test_double_opt_in_then_one_notice_per_update_then_one_click_unsubscribe(
    client, recommendation, django_capture_on_commit_callbacks
):
    url = subscribe_url(recommendation)
    form = client.get(url)
    assert form.status_code == 200
    assert b'name="email"' in form.content

    response = subscribe(client, url, "Reader@Example.org", django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert b"Check your e-mail" in response.content
    (confirmation,) = mail.outbox
    assert confirmation.to == ["reader@example.org"]
    assert confirmation.subject.startswith("Confirm your subscription to recommendation")
    html = confirmation.alternatives[0][0]
    confirm = next(u for u in LINK.findall(confirmation.body) if "/confirm/" in u)
    assert confirm in html

    publish(django_capture_on_commit_callbacks, recommendation)
    assert len(mail.outbox) == 1  # nothing before the link is used

    page = client.get(path_of(confirm))
    assert page.status_code == 200
    assert not Subscription.objects.get().is_active  # opening the link changes nothing
    assert b"Subscription confirmed" in client.post(path_of(confirm)).content
    assert Subscription.objects.get().is_active

    update = publish(django_capture_on_commit_callbacks, recommendation, "The plan was laid.")
    notice = mail.outbox[1]
    assert notice.to == ["reader@example.org"]
    assert notice.subject == f"Update on {recommendation}: in progress"
    for part in (notice.body, notice.alternatives[0][0]):
        assert "The plan was laid." in part
        assert f"https://tracker.example.org{recommendation.get_absolute_url()}" in part
    assert EmailLog.objects.get(kind="update_notice").period_key == f"update-{update.pk}"

    unsubscribe = notice.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe in notice.body
    one_click = Client(enforce_csrf_checks=True).post(
        path_of(unsubscribe), {"List-Unsubscribe": "One-Click"}
    )
    assert one_click.status_code == 200
    assert b"You are unsubscribed" in one_click.content
    publish(django_capture_on_commit_callbacks, recommendation, "Another step.")
    assert len(mail.outbox) == 2


def test_the_answer_is_the_same_whatever_the_address_and_no_address_is_shown(
    client, recommendation, django_capture_on_commit_callbacks
):
    url = subscribe_url(recommendation)
    new = subscribe(client, url, "new@example.org", django_capture_on_commit_callbacks)
    again = subscribe(client, url, "new@example.org", django_capture_on_commit_callbacks)
    Subscription.objects.update(confirmed_at="2026-01-01T00:00Z")
    active = subscribe(client, url, "new@example.org", django_capture_on_commit_callbacks)

    assert new.content == again.content == active.content
    assert len(mail.outbox) == 1  # one confirmation a day to a pending address; none once active
    assert Subscription.objects.count() == 1
    public_page = client.get(recommendation.get_absolute_url())
    assert b"new@example.org" not in public_page.content


def test_a_rolled_back_publication_sends_nothing(
    client, recommendation, django_capture_on_commit_callbacks
):
    Subscription.objects.create(
        email="reader@example.org", recommendation=recommendation, confirmed_at="2026-01-01T00:00Z"
    )
    update = StatusUpdateFactory(recommendation=recommendation)

    def publish_then_fail():
        with transaction.atomic():
            publish_update(update)
            raise RuntimeError("the editor's request failed after publishing")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        publish_then_fail()
    assert callbacks == []
    assert mail.outbox == []
    assert not StatusUpdate.objects.published().exists()


def test_report_and_owner_subscribers_hear_once_each(
    recommendation, django_capture_on_commit_callbacks
):
    owner = recommendation.ownerships.get().organisation
    confirmed = {"confirmed_at": "2026-01-01T00:00Z"}
    Subscription.objects.create(email="both@example.org", report=recommendation.report, **confirmed)
    Subscription.objects.create(
        email="both@example.org", recommendation=recommendation, **confirmed
    )
    Subscription.objects.create(email="owner@example.org", organisation=owner, **confirmed)
    Subscription.objects.create(email="pending@example.org", organisation=owner)
    other = RecommendationFactory()
    Subscription.objects.create(email="other@example.org", recommendation=other, **confirmed)

    publish(django_capture_on_commit_callbacks, recommendation)
    publish(django_capture_on_commit_callbacks, recommendation, "A second step.")
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["both@example.org"] * 2 + ["owner@example.org"] * 2


@pytest.mark.parametrize("url", ["/reports/{report}/subscribe/", "/owners/example-body/subscribe/"])
def test_reports_and_owners_can_be_subscribed_to(
    client, recommendation, url, django_capture_on_commit_callbacks
):
    url = url.format(report=recommendation.report.slug)
    assert client.get(url).status_code == 200
    subscribe(client, url, "reader@example.org", django_capture_on_commit_callbacks)
    assert Subscription.objects.get().subject in (
        recommendation.report,
        recommendation.ownerships.get().organisation,
    )
    assert len(mail.outbox) == 1


def test_a_bad_address_gets_a_clear_message_and_changes_nothing(client, recommendation):
    response = client.post(subscribe_url(recommendation), {"email": "not an address"})
    assert response.status_code == 200
    assert b"Enter a valid email address." in response.content
    assert not Subscription.objects.exists()
    assert client.get("/subscriptions/confirm/unknown/").status_code == 404


def test_the_form_is_rate_limited_per_client(
    client, recommendation, settings, django_capture_on_commit_callbacks
):
    settings.SUBSCRIBE_RATE_PER_HOUR = 2
    url = subscribe_url(recommendation)
    for n in range(2):
        ok = subscribe(client, url, f"r{n}@example.org", django_capture_on_commit_callbacks)
        assert ok.status_code == 200
    limited = subscribe(client, url, "r9@example.org", django_capture_on_commit_callbacks)
    assert limited.status_code == 429
    assert b"try again in an hour" in limited.content
    assert Subscription.objects.count() == 2
