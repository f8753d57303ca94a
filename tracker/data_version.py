"""The published data's version: a token in the shared cache that changes whenever published data
changes, so that cached public pages (`tracker.public.page_cache`) are never served stale.

It changes after any save or delete of the ledger's models commits, and explicitly after the
overdue job, snapshots and `seed_demo`.
"""

import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

VERSION_KEY = "page-cache:data-version"


def bump_data_version() -> None:
    """Make every cached page stale. Call after published data changed (and was committed)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def bump_after_commit(**kwargs) -> None:
    """Signal receiver: bump once the current transaction commits (at once outside one)."""
    transaction.on_commit(bump_data_version, using=kwargs.get("using"))


def connect_signals() -> None:
    """Bump the data version whenever a published fact is saved or deleted."""
    from tracker import models

    for model in (
        models.Report,
        models.Organisation,
        models.Recommendation,
        models.Ownership,
        models.Response,
        models.Deadline,
        models.StatusUpdate,
    ):
        post_save.connect(bump_after_commit, sender=model, dispatch_uid=f"page-cache-{model}")
        post_delete.connect(bump_after_commit, sender=model, dispatch_uid=f"page-cache-d-{model}")
