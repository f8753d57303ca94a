"""Limits that protect inboxes and the service: per mailbox per day (in the database), and the
subscribe and API limits while Redis cannot be reached."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from tests.factories import RecommendationFactory, ReportFactory
from tracker.models import EmailLog

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
# Nothing listens on port 1 of the loopback interface: a Redis that cannot be reached.
UNREACHABLE_REDIS = {
    "BACKEND": "django_redis.cache.RedisCache",
    "LOCATION": "redis://127.0.0.1:1/0",
    "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
}


@pytest.fixture
def eager(settings):
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_one_mailbox_gets_a_few_confirmations_a_day_whatever_its_plus_tags(
    client, settings, eager, smtp_server, django_capture_on_commit_callbacks
):
    settings.CONFIRMATIONS_PER_ADDRESS_PER_DAY = 2
    settings.SUBSCRIBE_RATE_PER_HOUR = 100
    report = ReportFactory()
    recommendations = [RecommendationFactory(report=report, number=n) for n in range(1, 6)]
    addresses = ["victim@example.org", "Victim+a@example.org", "victim+b@Example.org"]
    with time_machine.travel(NOW, tick=False):
        for number, recommendation in enumerate(recommendations):
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(
                    reverse("subscribe_recommendation", args=[report.slug, recommendation.number]),
                    {"email": addresses[number % len(addresses)]},
                    REMOTE_ADDR=f"192.0.2.{number + 1}",
                )
            assert response.status_code == 200  # the same answer every time
    assert len(smtp_server.messages) == 2
    assert EmailLog.objects.filter(kind=EmailLog.Kind.SUBSCRIPTION_CONFIRMATION).count() == 2
    # Another mailbox is not affected, and the next day the limit starts again.
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("subscribe_recommendation", args=[report.slug, 1]),
            {"email": "someone.else@example.org"},
        )
    tomorrow = NOW + datetime.timedelta(days=1)
    with (
        time_machine.travel(tomorrow, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(
            reverse("subscribe_recommendation", args=[report.slug, 5]),
            {"email": "victim@example.org"},
        )
    assert len(smtp_server.messages) == 4


def test_the_subscribe_limit_holds_while_redis_is_down(client, settings):
    settings.CACHES = {**settings.CACHES, "rate_limits": UNREACHABLE_REDIS}
    settings.SUBSCRIBE_RATE_PER_HOUR = 2
    report = ReportFactory()
    RecommendationFactory(report=report, number=1)
    url = reverse("subscribe_recommendation", args=[report.slug, 1])
    with time_machine.travel(NOW, tick=False):
        answers = [
            client.post(url, {"email": f"r{n}@example.org"}, REMOTE_ADDR="203.0.113.50")
            for n in range(3)
        ]
    assert [response.status_code for response in answers] == [200, 200, 429]


def test_the_api_limit_holds_while_redis_is_down(client, settings):
    settings.CACHES = {**settings.CACHES, "rate_limits": UNREACHABLE_REDIS}
    settings.API_RATE = "2/minute"
    url = reverse("api:report-list")
    with time_machine.travel(NOW, tick=False):
        statuses = [client.get(url, REMOTE_ADDR="203.0.113.51").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
