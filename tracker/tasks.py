"""Celery tasks: policy only (names, retries). Each calls a plain function that tests call too.

Names are explicit so that moving a function never orphans queued or scheduled messages.
"""

import datetime
from contextlib import contextmanager

from celery import shared_task
from django.conf import settings
from django.db import OperationalError, close_old_connections
from django.utils import timezone

from tracker.jobs import digests, notices, overdue, password_resets, snapshots, subscriptions, watch
from tracker.jobs.emails import TransientEmailError
from tracker.static_site import requests as build_requests
from tracker.static_site.build import build_site

DATABASE_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 5,
    "acks_late": True,
}
EMAIL_RETRY = {
    **DATABASE_RETRY,
    "autoretry_for": (TransientEmailError, OperationalError),
    "retry_backoff_max": 30 * 60,
    "max_retries": 12,
}


@contextmanager
def fresh_connections(task):
    """Drop stale or broken database connections before and after a job, as a request would.
    Not when run eagerly, inside the caller's own connection (and, in tests, its transaction)."""
    eager = task.request.is_eager
    if not eager:
        close_old_connections()
    try:
        yield
    finally:
        if not eager:
            close_old_connections()


def day_or_today(day: str | None) -> datetime.date:
    return datetime.date.fromisoformat(day) if day else timezone.localdate()


@shared_task(name="tracker.flag_overdue", bind=True, **DATABASE_RETRY)
def flag_overdue_task(self, day: str | None = None) -> str:
    with fresh_connections(self):
        return str(overdue.flag_overdue(day_or_today(day)))


@shared_task(name="tracker.take_snapshot", bind=True, **DATABASE_RETRY)
def take_snapshot_task(self, day: str | None = None) -> int:
    with fresh_connections(self):
        rows = snapshots.take_snapshot(day_or_today(day))
    # Every page counts days overdue and says what day it is as of: rebuild the whole site.
    build_requests.request_full_build()
    return rows


@shared_task(name="tracker.send_weekly_digests", bind=True, **EMAIL_RETRY)
def send_weekly_digests_task(self, week: str | None = None) -> str:
    with fresh_connections(self):
        week_start = digests.parse_week(week) if week else digests.week_of(timezone.localdate())
        return str(digests.send_weekly_digests(week_start))


@shared_task(name="tracker.send_update_notices", bind=True, **EMAIL_RETRY)
def send_update_notices_task(self, update_id: int) -> str:
    with fresh_connections(self):
        return str(notices.send_due_notices(update_id))


@shared_task(name="tracker.send_pending_notices", bind=True, **DATABASE_RETRY)
def send_pending_notices_task(self) -> str:
    """Beat's sweep: update notices and subscription confirmations whose queueing failed (broker
    down) or whose job gave up."""
    with fresh_connections(self):
        confirmations = subscriptions.send_missed_confirmations(timezone.now())
        return f"Notices: {notices.send_pending_notices()} Confirmations: {confirmations}"


@shared_task(name="tracker.send_subscription_confirmation", bind=True, **EMAIL_RETRY)
def send_subscription_confirmation_task(self, subscription_id: int) -> str:
    with fresh_connections(self):
        return str(subscriptions.send_confirmation(subscription_id, timezone.localdate()))


def run_build(task, only_changed: bool, token: str | None) -> str:
    if build_requests.is_superseded(token):
        return "Skipped: a later request is queued and will build."
    with fresh_connections(task):
        build_requests.mark_request_handled()
        return str(
            build_site(settings.PUBLISH_DIR, only_changed=only_changed, jobs=settings.PUBLISH_JOBS)
        )


@shared_task(name="tracker.build_site", bind=True, **DATABASE_RETRY)
def build_site_task(self, only_changed: bool = False, token: str | None = None) -> str:
    """Rebuild the static site; a debounced request skips when a later one is queued."""
    return run_build(self, only_changed, token)


@shared_task(name="tracker.publish_site", bind=True, **DATABASE_RETRY)
def publish_site_task(self, only_changed: bool = False, token: str | None = None) -> str:
    """Deprecated name of `tracker.build_site`, still registered so that messages queued before
    the rename are built rather than orphaned. Remove in the release after next."""
    return run_build(self, only_changed, token)


@shared_task(name="tracker.watch_sources", bind=True, **DATABASE_RETRY)
def watch_sources_task(self, feed_id: int | None = None) -> str:
    """Fetch the watched feeds and record leads; one bad feed is recorded, never raised."""
    with fresh_connections(self):
        return str(watch.watch_sources(timezone.now(), feed_id=feed_id))


@shared_task(name="tracker.send_password_reset", bind=True, **EMAIL_RETRY)
def send_password_reset_task(self, email: str) -> str:
    with fresh_connections(self):
        return str(password_resets.send_password_reset(email, timezone.localdate()))
