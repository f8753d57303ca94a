"""Faults, against real services: Redis down, PostgreSQL restarted under load.

The app runs as in production (gunicorn with two workers, a Celery worker) on its own Redis and
PostgreSQL cluster (tests/private_services.py), so these tests can stop and restart them. Locally
they are skipped when redis-server or PostgreSQL's binaries are missing; with CI set they fail.
Two quicker tests check the same behaviour in-process and run everywhere.
"""

import os
import signal
import threading
import time
from dataclasses import dataclass

import pytest
import requests
from django.core.cache import cache
from django.test import Client
from kombu.exceptions import OperationalError as BrokerUnreachable

from tests.conftest import IN_CI
from tests.factories import RecommendationFactory, StatusUpdateFactory
from tests.private_services import Stack, children_of, free_port, missing_binaries, wait_until
from tracker import tasks
from tracker.models import EmailLog, PendingNotice, Subscription
from tracker.updates import publish_update

# Real servers are started, stopped and restarted: slow, and run in CI.
pytestmark = pytest.mark.slow


RECOMMENDATION_PAGE = "/reports/iicsa/1/"  # its first update is published in the Redis test
PUBLIC_PAGES = [
    "/",
    "/recommendations/",
    "/reports/iicsa/",
    RECOMMENDATION_PAGE,
    "/owners/",
    "/changes/",
    "/data/",
    "/methodology/",
    "/updates.atom",
    "/api/recommendations/",
]
# A request while a service is down must be answered within this many seconds.
FAIL_FAST_SECONDS = 5


# --- In-process: the cache and the outbox (SQLite or PostgreSQL) ------------------------------


@pytest.fixture
def unreachable_redis_cache(settings):
    """The production cache settings, pointed at a port where nothing listens."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5},
        }
    }


@pytest.mark.django_db
def test_subscribing_works_and_stays_limited_while_the_rate_limit_cache_is_unreachable(
    unreachable_redis_cache, settings, django_capture_on_commit_callbacks
):
    settings.SUBSCRIBE_RATE_PER_HOUR = 2
    assert cache.get("anything", "miss") == "miss"  # an error is a miss, not an exception
    recommendation = RecommendationFactory()
    url = f"{recommendation.get_absolute_url()}subscribe/"
    client = Client()
    statuses = []
    for n in range(3):  # counted in the process's memory while Redis cannot be reached
        with django_capture_on_commit_callbacks(execute=False):
            statuses.append(client.post(url, {"email": f"reader{n}@example.org"}).status_code)
    assert statuses == [200, 200, 429]
    assert Subscription.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_publishing_while_the_broker_is_down_saves_and_the_sweep_notifies_once(
    monkeypatch, caplog, mailoutbox
):
    def broker_down(*args, **kwargs):
        raise BrokerUnreachable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.send_update_notices_task, "delay", broker_down)
    recommendation = RecommendationFactory()
    Subscription.objects.create(
        email="reader@example.org", recommendation=recommendation, confirmed_at="2026-01-01T00:00Z"
    )
    update = StatusUpdateFactory(recommendation=recommendation, summary="The plan was laid.")

    assert publish_update(update)
    assert update.is_published
    assert PendingNotice.objects.filter(update=update).exists()
    assert "the periodic sweep will send them" in caplog.text
    assert mailoutbox == []

    tasks.send_pending_notices_task.apply().get()  # beat's sweep, once the broker is back
    tasks.send_pending_notices_task.apply().get()
    (notice,) = mailoutbox
    assert notice.to == ["reader@example.org"]
    assert "The plan was laid." in notice.body
    assert not PendingNotice.objects.exists()
    assert EmailLog.objects.get().status == EmailLog.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_subscribing_while_the_broker_is_down_and_the_sweep_sends_one_confirmation(
    monkeypatch, caplog, mailoutbox
):
    def broker_down(*args, **kwargs):
        raise BrokerUnreachable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.send_subscription_confirmation_task, "delay", broker_down)
    recommendation = RecommendationFactory()
    url = f"{recommendation.get_absolute_url()}subscribe/"

    response = Client().post(url, {"email": "reader@example.org"})
    assert response.status_code == 200
    assert Subscription.objects.get().email == "reader@example.org"
    assert "the sweep will send it" in caplog.text
    assert mailoutbox == []

    tasks.send_pending_notices_task.apply().get()
    tasks.send_pending_notices_task.apply().get()
    (confirmation,) = mailoutbox
    assert confirmation.to == ["reader@example.org"]
    assert Subscription.objects.get().token in confirmation.body


# --- Real services: private Redis and PostgreSQL, gunicorn, a Celery worker ----------------------


EDITOR_PASSWORD = "a long fault-test passphrase"  # noqa: S105 - a throwaway test login
DRAFT_SUMMARY = "Fault test: published while Redis was down."
SETUP_DRAFT = """
from django.contrib.auth import get_user_model
from tracker.models import Recommendation, Source, StatusUpdate, Subscription
get_user_model().objects.create_superuser("editor", "editor@example.org", {password!r})
rec = Recommendation.objects.get(report__slug="iicsa", number=1)
Subscription.objects.create(email="reader@example.org", recommendation=rec,
                            confirmed_at="2026-01-01T00:00Z")
draft = StatusUpdate.objects.create(
    recommendation=rec, describes_on="2026-01-05", status=rec.status,
    summary={summary!r}, source=Source.objects.create(
        url="https://www.gov.uk/example-fault-test", title="Example fault test",
        publisher="Example", kind="primary"))
print(draft.pk)
"""
COUNTS = """
from tracker.models import EmailLog, PendingNotice, StatusUpdate
print(StatusUpdate.objects.get(pk={pk}).state, PendingNotice.objects.count(),
      EmailLog.objects.filter(status="sent").count())
"""

DIGEST_CONTACTS = """
from tracker.models import Contact, Organisation
owner = Organisation.objects.get(slug="home-office")
for n in range(1, 6):
    Contact.objects.create(organisation=owner, name=f"Contact {n}",
                           email=f"contact{n}@example.org", wants_empty_digest=True)
"""


@pytest.fixture(scope="module")
def mail_port():
    return free_port()


@pytest.fixture(scope="module")
def stack(mail_port):
    reason = missing_binaries()
    if reason:
        if IN_CI:
            pytest.fail(f"CI must run the fault tests: {reason}")
        pytest.skip(reason)
    stack = Stack(email_port=mail_port)
    try:
        seed = DIGEST_CONTACTS + SETUP_DRAFT.format(password=EDITOR_PASSWORD, summary=DRAFT_SUMMARY)
        stack.draft_pk = stack.start(seed=seed)
        yield stack
    finally:
        stack.close()


@pytest.fixture
def mail_server(stack, mail_port):
    from tests.smtp import SmtpServer  # registered as a plugin above; imported only now

    server = SmtpServer(mail_port)
    server.start()
    yield server
    server.stop()


def get(stack: Stack, path: str, session=None) -> tuple[int, float]:
    started = time.monotonic()
    response = (session or requests).get(stack.app.base_url + path, timeout=30)
    return response.status_code, time.monotonic() - started


def log_in(stack: Stack) -> requests.Session:
    session = requests.Session()
    login = stack.app.base_url + "/admin/login/"
    session.get(login, timeout=30)
    response = session.post(
        login,
        data={
            "username": "editor",
            "password": EDITOR_PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "next": "/admin/",
        },
        headers={"Referer": login},
        timeout=30,
    )
    assert response.status_code == 200, response.status_code
    assert response.url.endswith("/admin/"), "the log-in failed"
    return session


def test_redis_down_pages_and_admin_work_publishing_saves_and_notices_follow_once(
    stack, mail_server
):
    summary = DRAFT_SUMMARY
    draft = stack.draft_pk
    worker = stack.app.start_celery_worker("notices-worker", "--pool", "solo")
    try:
        redis_down_then_back(stack, mail_server, draft, summary)
    finally:
        stack.app.stop(worker)
    assert "tracker.send_pending_notices" in stack.app.log("notices-worker")


def redis_down_then_back(stack: Stack, mail_server, draft: str, summary: str):

    stack.redis.stop()
    assert not stack.redis.answers()
    for path in PUBLIC_PAGES:
        status, seconds = get(stack, path)
        assert status == 200, path
        assert seconds < FAIL_FAST_SECONDS, (path, seconds)
    session = log_in(stack)
    changelist = stack.app.base_url + "/admin/tracker/statusupdate/"
    response = session.post(
        changelist,
        data={
            "action": "publish_selected",
            "_selected_action": draft,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": changelist},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.elapsed.total_seconds() < FAIL_FAST_SECONDS
    assert "Published 1 update(s)." in response.text
    assert summary in requests.get(stack.app.base_url + RECOMMENDATION_PAGE, timeout=30).text
    assert stack.app.shell(COUNTS.format(pk=draft)) == "published 1 0"
    assert mail_server.messages == []

    stack.redis.start()  # Redis is back: the worker reconnects, beat's next sweep sends
    stack.app.send_task("tracker.send_pending_notices")
    (notice,) = mail_server.wait_for(1, timeout=60)
    assert notice.recipients == ["reader@example.org"]
    assert summary in notice.text
    # Another sweep, perhaps while the worker still clears its pending notice, sends nothing.
    sweep_again = "from tracker.jobs.notices import send_pending_notices; send_pending_notices()\n"
    assert stack.app.shell(sweep_again + COUNTS.format(pk=draft)) == "published 0 1"
    time.sleep(1)
    assert len(mail_server.messages) == 1


@dataclass
class Outcome:
    started: float
    seconds: float
    status: int | None  # None: the connection itself failed
    path: str


def hammer(stack: Stack, stop: threading.Event, outcomes: list[Outcome]) -> None:
    session = requests.Session()
    n = 0
    while not stop.is_set():
        path = PUBLIC_PAGES[n % len(PUBLIC_PAGES)]
        n += 1
        started = time.monotonic()
        try:
            status = session.get(stack.app.base_url + path, timeout=30).status_code
        except requests.RequestException:
            status = None
        outcomes.append(Outcome(started, time.monotonic() - started, status, path))


# Requests starting this long after PostgreSQL accepts connections again must all be served.
RECOVERY_SECONDS = 4


def test_postgres_restarted_under_load_fails_fast_and_recovers_without_an_app_restart(stack):
    web_workers = stack.app.web_worker_pids()
    outcomes: list[Outcome] = []
    stop = threading.Event()
    clients = [threading.Thread(target=hammer, args=(stack, stop, outcomes)) for _ in range(4)]
    for client in clients:
        client.start()
    try:
        time.sleep(2)
        down_at = time.monotonic()
        stack.postgres.stop("fast")
        time.sleep(1)
        unavailable = requests.get(stack.app.base_url + "/recommendations/", timeout=30)
        time.sleep(3)
        restart_at = time.monotonic()
        stack.postgres.start()
        up_at = time.monotonic()
        time.sleep(RECOVERY_SECONDS + 6)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=60)

    before = [o for o in outcomes if o.started + o.seconds < down_at]
    during = [
        o
        for o in outcomes
        if o.started > down_at + 0.5
        and o.started + o.seconds < restart_at
        and o.path != "/methodology/"
    ]
    after = [o for o in outcomes if o.started > up_at + RECOVERY_SECONDS]
    assert before
    assert all(o.status == 200 for o in before)
    assert during, "no request was made while PostgreSQL was down"
    # 503 with Retry-After (tracker/ops/errors.py), answered at once rather than left hanging.
    assert all(o.status == 503 for o in during), {(o.path, o.status) for o in during}
    assert max(o.seconds for o in during) < FAIL_FAST_SECONDS
    assert unavailable.status_code == 503
    assert unavailable.headers["Retry-After"] == "30"
    assert "Please try again in a minute." in unavailable.text
    assert len(after) >= 20
    not_served = [(round(o.started - up_at, 2), o.path, o.status) for o in after if o.status != 200]
    assert not not_served, f"seconds after PostgreSQL was back, path, status: {not_served}"
    assert all(o.status is not None for o in outcomes), "gunicorn dropped a connection"
    assert stack.app.web_worker_pids() == web_workers, "a web worker was restarted"
    print(  # the figures for docs/operations.md (pytest -s)
        f"PostgreSQL stopped for 4 s under 4 clients: {len(outcomes)} requests, "
        f"{sum(o.status == 200 for o in outcomes)} served, {len(during)} answered 503 during the "
        f"outage in at most {max(o.seconds for o in during):.2f} s, none dropped; "
        f"{len(after)} served after the restart, same web workers."
    )


def test_a_worker_process_killed_halfway_through_the_digest_leaves_each_contact_one_email(
    stack, mail_server
):
    """The OOM killer's case: the worker's pool process dies mid-task. The task is acknowledged
    late and rejected on a lost worker, so it runs again in the new pool process; the e-mail log
    skips what was sent. (A whole worker killed is redelivered after the broker's visibility
    timeout; the command's variant is in tests/test_worker.py.)"""
    mail_server.inbox.hold_at_mail = 3  # hold the third e-mail until the process is killed
    worker = stack.app.start_celery_worker("digest-worker", "--pool", "prefork", "-c", "1")
    try:
        wait_until(lambda: children_of(worker.pid), timeout=30, what="the pool process")
        stack.app.send_task("tracker.send_weekly_digests", "2026-W48")
        assert mail_server.inbox.holding.wait(timeout=60), "the job never reached the third e-mail"
        (pool_process,) = children_of(worker.pid)
        os.kill(pool_process, signal.SIGKILL)
        mail_server.inbox.hold_at_mail = None
        mail_server.inbox.release.set()
        messages = mail_server.wait_for(5, timeout=60)
        time.sleep(1)  # nothing more arrives
    finally:
        stack.app.stop(worker)
    assert sorted(m.recipients[0] for m in messages) == [
        f"contact{n}@example.org" for n in range(1, 6)
    ]
    assert len(mail_server.messages) == 5
    assert "WorkerLostError" in stack.app.log("digest-worker")
