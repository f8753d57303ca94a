"""The published data's version: a token that changes whenever published data changes, so that
cached public pages (`tracker.public.page_cache`) are never served stale.

It changes after any save or delete of the ledger's models (checks included) commits, and
explicitly after the overdue job, snapshots and `seed_demo`. The token is kept in the database
(`DataVersion`), which every change reaches, and copied into the shared cache for a few seconds
at a time (`PAGE_CACHE_VERSION_SECONDS`): a change made while Redis was unreachable is seen within
those seconds of its return, instead of old pages living on under the version Redis still held.
"""

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from tracker.models import DataVersion

VERSION_KEY = "page-cache:data-version"


def version_seconds() -> int:
    return getattr(settings, "PAGE_CACHE_VERSION_SECONDS", 5)


def stored_version() -> str:
    """The token in the database, made on first use."""
    token = DataVersion.objects.filter(pk=DataVersion.ONLY).values_list("token", flat=True).first()
    if token is None:
        try:
            with transaction.atomic():
                token = DataVersion.objects.create(
                    pk=DataVersion.ONLY, token=uuid.uuid4().hex
                ).token
        except IntegrityError:  # another process made it first
            token = DataVersion.objects.get(pk=DataVersion.ONLY).token
    return token


def current_data_version() -> str:
    """The token, from the shared cache while its copy is fresh, else from the database."""
    token = cache.get(VERSION_KEY)
    if token is None:
        token = stored_version()
        cache.set(VERSION_KEY, token, version_seconds())
    return token


def bump_data_version() -> None:
    """Make every cached page stale. Call after published data changed (and was committed)."""
    token = uuid.uuid4().hex
    updated = DataVersion.objects.filter(pk=DataVersion.ONLY).update(
        token=token, changed_at=timezone.now()
    )
    if not updated:
        stored_version()
        DataVersion.objects.filter(pk=DataVersion.ONLY).update(token=token)
    cache.set(VERSION_KEY, token, version_seconds())


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
        models.Check,  # pages say when each recommendation was last checked
    ):
        post_save.connect(bump_after_commit, sender=model, dispatch_uid=f"page-cache-{model}")
        post_delete.connect(bump_after_commit, sender=model, dispatch_uid=f"page-cache-d-{model}")
