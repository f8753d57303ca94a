"""The jobs in real processes: a Celery worker consuming over Redis, and a job killed halfway.

These need PostgreSQL (the worker thread and the killed process share the test database) and,
for the worker, Redis as the broker. Without them they are skipped locally; with CI set, they
fail instead, because CI has both.
"""

import datetime
import os
import signal
import subprocess
import sys
import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from config.celery import app
from tests.conftest import require
from tests.factories import (
    ContactFactory,
    DeadlineFactory,
    OrganisationFactory,
    OwnershipFactory,
    RecommendationFactory,
    StatusUpdateFactory,
)
from tests.private_services import database_url_for_subprocess
from tracker import tasks
from tracker.models import EmailLog, Recommendation, Snapshot, Subscription
from tracker.updates import publish_update

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

WEEK = "2026-W03"


def redis_reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def wait_until(condition, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}")


@pytest.fixture
def postgres():
    require(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def worker(postgres, monkeypatch):
    broker = app.conf.broker_url
    require(broker.startswith("redis://"), "needs Redis as the broker (set REDIS_URL)")
    require(redis_reachable(broker), f"Redis is not reachable at {broker}")
    # The worker thread's database connection must close after each task, so that the test
    # database can be flushed and dropped.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    app.control.purge()
    with start_worker(app, perform_ping_check=False, concurrency=1, loglevel="WARNING") as w:
        yield w


@pytest.fixture
def owners_contacts():
    owner = OrganisationFactory(name="Example Department")
    recommendation = RecommendationFactory()
    OwnershipFactory(recommendation=recommendation, organisation=owner)
    DeadlineFactory(recommendation=recommendation)  # by the end of 2025
    return [
        ContactFactory(organisation=owner, email=f"contact{n}@example.org") for n in range(1, 6)
    ]


def test_a_real_worker_flags_snapshots_and_sends_once_despite_smtp_being_down(
    worker, owners_contacts, smtp_stopped
):
    tasks.flag_overdue_task.delay("2026-01-12")
    wait_until(lambda: Recommendation.objects.filter(overdue_since__isnull=False).exists())
    assert Recommendation.objects.get().overdue_since == datetime.date(2026, 1, 1)

    tasks.send_weekly_digests_task.delay(WEEK)
    wait_until(
        lambda: EmailLog.objects.filter(attempts__gte=1).count() == 5,
        what="the first attempt to fail on the refused connection",
    )
    assert smtp_stopped.messages == []
    assert "ConnectionRefusedError" in EmailLog.objects.first().last_error

    smtp_stopped.start()  # the mail server comes back; the task's retry with backoff sends all
    wait_until(lambda: EmailLog.objects.filter(status="sent").count() == 5, what="the retry")

    tasks.send_weekly_digests_task.delay(WEEK)  # a second run of the same week
    tasks.take_snapshot_task.delay("2026-01-12")  # queued behind it on the one-task worker
    wait_until(lambda: Snapshot.objects.exists(), what="the snapshot after the second run")
    recipients = sorted(m.recipients[0] for m in smtp_stopped.messages)
    assert recipients == [f"contact{n}@example.org" for n in range(1, 6)]
    assert all(
        "Example Department: 1 overdue" in m.message["Subject"] for m in smtp_stopped.messages
    )


def test_publishing_an_update_notifies_subscribers_through_the_worker(worker, smtp_server):
    recommendation = RecommendationFactory()
    Subscription.objects.create(
        email="reader@example.org",
        recommendation=recommendation,
        confirmed_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )
    update = StatusUpdateFactory(recommendation=recommendation, summary="The plan was laid.")
    assert publish_update(
        update
    )  # commits at once (no surrounding transaction): the task is queued

    (notice,) = smtp_server.wait_for(1)
    assert notice.recipients == ["reader@example.org"]
    assert "The plan was laid." in notice.text
    assert "The plan was laid." in notice.html
    wait_until(lambda: EmailLog.objects.filter(status="sent").exists())
    assert EmailLog.objects.get().period_key == f"update-{update.pk}"


KILLED_JOB_APP_NAME = "digest-job-killed-in-test"


def killed_job_sessions() -> int:
    """Sessions still open for the killed job (tagged through libpq's PGAPPNAME)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            [KILLED_JOB_APP_NAME],
        )
        return cursor.fetchone()[0]


def test_the_digest_job_killed_halfway_and_run_again_sends_each_email_exactly_once(
    postgres, owners_contacts, smtp_server
):
    smtp_server.inbox.hold_at_mail = 3  # hold the third e-mail until the process is killed
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PGAPPNAME": KILLED_JOB_APP_NAME,
    }
    job = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "send_weekly_digests", "--week", WEEK],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert smtp_server.inbox.holding.wait(timeout=60), "the job never reached the third e-mail"
        job.send_signal(signal.SIGKILL)
        job.wait(timeout=30)
    finally:
        if job.poll() is None:
            job.kill()
    smtp_server.inbox.hold_at_mail = None
    smtp_server.inbox.release.set()
    wait_until(
        lambda: killed_job_sessions() == 0, timeout=30, what="the killed job's session to end"
    )

    assert len(smtp_server.messages) == 2
    assert EmailLog.objects.filter(status="sent").count() == 2
    assert EmailLog.objects.filter(status="pending").count() == 3

    call_command("send_weekly_digests", "--week", WEEK)
    recipients = sorted(m.recipients[0] for m in smtp_server.messages)
    assert recipients == [f"contact{n}@example.org" for n in range(1, 6)]
    assert EmailLog.objects.filter(status="sent").count() == 5
