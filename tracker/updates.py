"""Publishing status updates and keeping each recommendation's headline status in step."""

import datetime
from functools import partial

from django.db import transaction

from tracker.jobs.notices import queue_update_notices, record_notices_due
from tracker.models import ImplementationStatus, Recommendation, StatusUpdate
from tracker.static_site.build import request_publication


def latest_whole_recommendation_update(recommendation_id: int) -> StatusUpdate | None:
    return (
        StatusUpdate.objects.published()
        .filter(recommendation_id=recommendation_id, organisation__isnull=True)
        .order_by("-describes_on", "-published_at", "-pk")
        .first()
    )


def refresh_headline_status(recommendation_id: int) -> None:
    """The headline is the latest published update about the whole recommendation."""
    latest = latest_whole_recommendation_update(recommendation_id)
    Recommendation.objects.filter(pk=recommendation_id).update(
        status=latest.status if latest else ImplementationStatus.NOT_YET_ASSESSED,
        status_on=latest.describes_on if latest else None,
    )


def publish_update(update: StatusUpdate, by, at: datetime.datetime) -> bool:
    """Publish a draft exactly once. False when it is already published or has no source URL."""
    if not update.source_url:
        return False
    with transaction.atomic():
        locked = StatusUpdate.objects.select_for_update().get(pk=update.pk)
        if locked.is_published:
            return False
        locked.state = StatusUpdate.State.PUBLISHED
        locked.published_at = at
        locked.published_by = by
        locked._history_user = by
        locked.save()
        refresh_headline_status(locked.recommendation_id)
        # Subscribers hear of it only once the publication is committed; a rollback sends nothing.
        # The pending notice is committed with the publication, so a broker outage loses nothing.
        if record_notices_due(locked.pk):
            transaction.on_commit(partial(queue_update_notices, locked.pk), robust=True)
        # And the published static view, if there is one, is refreshed (debounced).
        if not any(
            entry[1] is request_publication for entry in transaction.get_connection().run_on_commit
        ):
            transaction.on_commit(request_publication, robust=True)
    update.refresh_from_db()
    return True
