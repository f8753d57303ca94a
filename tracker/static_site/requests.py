"""Asking for a build: after a status update is published or a check is recorded (debounced),
after the snapshot, and at once after an editor publishes or withdraws a report.

The jobs only refresh a built site that `build_site` made from this database, so a test run or
another database never overwrites it, and nothing is built until someone has built once by hand.
"""

import hashlib
import os
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from tracker.enqueue import task_named
from tracker.models import Check
from tracker.reports import report_publication_changed
from tracker.static_site.folders import BuildError, current_build, database_name, read_manifest
from tracker.updates import update_published

BUILD_TASK = "tracker.build_site"
BUILD_REQUEST_KEY = "tracker:publish-site:latest-request"
FIRST_BUILD_REQUEST_KEY = "tracker:publish-site:first-request"


def is_built_from_this_database(out) -> bool:
    try:
        manifest = read_manifest(current_build(out))
    except BuildError:
        return False
    return bool(manifest) and manifest["database"] == database_name()


def request_build() -> None:
    """After a publication commits: queue an incremental build `PUBLISH_DEBOUNCE_SECONDS` later.

    Each request records itself as the latest; a queued build that is no longer the latest skips,
    so a burst of publications makes one build after the burst (or after `PUBLISH_MAX_WAIT_SECONDS`
    at most). The build itself finds what changed from the database, so a skipped or repeated
    build loses nothing."""
    if not is_built_from_this_database(settings.PUBLISH_DIR):
        return
    token = hashlib.sha256(os.urandom(16)).hexdigest()[:16]
    cache.set(BUILD_REQUEST_KEY, token, timeout=settings.PUBLISH_MAX_WAIT_SECONDS * 2)
    cache.add(FIRST_BUILD_REQUEST_KEY, time.time(), timeout=settings.PUBLISH_MAX_WAIT_SECONDS * 2)
    task_named(BUILD_TASK).apply_async(
        kwargs={"only_changed": True, "token": token}, countdown=settings.PUBLISH_DEBOUNCE_SECONDS
    )


def is_superseded(token: str | None) -> bool:
    """True when a later request will build anyway (and the first request has not waited too long).
    An unknown marker (expired, or a cache not shared between processes) never skips a build."""
    if token is None:
        return False
    latest = cache.get(BUILD_REQUEST_KEY)
    first = cache.get(FIRST_BUILD_REQUEST_KEY)
    waited_too_long = first is not None and time.time() - first > settings.PUBLISH_MAX_WAIT_SECONDS
    return latest is not None and latest != token and not waited_too_long


def mark_request_handled() -> None:
    cache.delete(FIRST_BUILD_REQUEST_KEY)


def request_full_build() -> None:
    """After the daily snapshot: rebuild the whole site, if there is one."""
    if is_built_from_this_database(settings.PUBLISH_DIR):
        task_named(BUILD_TASK).delay()


def request_build_after_commit(sender, **kwargs) -> None:
    """Receiver of `update_published` and of a check's save or delete (pages say when each
    recommendation was last checked): one debounced build request per transaction, sent once it
    commits (a rollback asks for nothing)."""
    pending = transaction.get_connection().run_on_commit
    if not any(entry[1] is request_build for entry in pending):
        transaction.on_commit(request_build, robust=True)


def request_full_build_after_commit(sender, **kwargs) -> None:
    """Receiver of `report_publication_changed`: a whole report appears or disappears, so the
    whole site is rebuilt at once (not debounced), once the change commits."""
    transaction.on_commit(request_full_build, robust=True)


def connect_build_requests() -> None:
    update_published.connect(request_build_after_commit, dispatch_uid="static-site-build-request")
    post_save.connect(request_build_after_commit, sender=Check, dispatch_uid="static-site-check")
    post_delete.connect(
        request_build_after_commit, sender=Check, dispatch_uid="static-site-check-deleted"
    )
    report_publication_changed.connect(
        request_full_build_after_commit, dispatch_uid="static-site-report-publication"
    )
