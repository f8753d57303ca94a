"""Publishing status updates and keeping each recommendation's headline status in step."""

import datetime
from functools import partial

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from tracker.jobs.notices import queue_update_notices, record_notices_due
from tracker.models import Recommendation, StatusUpdate, status_on, status_on_date
from tracker.static_site.build import request_publication


def refresh_headline_statuses(recommendations: QuerySet[Recommendation]) -> int:
    """Recompute the denormalised headline status (`Recommendation.status` and `status_on`) of
    these recommendations from the ledger in one set-based UPDATE: the status of the latest
    published update about the whole recommendation (`tracker.models.status_on`)."""
    return recommendations.update(status=status_on(), status_on=status_on_date())


def refresh_headline_status(recommendation_id: int) -> None:
    refresh_headline_statuses(Recommendation.objects.filter(pk=recommendation_id))


def publish_update(update: StatusUpdate, by=None, at: datetime.datetime | None = None) -> bool:
    """Publish a draft exactly once (`at` defaults to now). False when it is already published
    or has no source URL."""
    at = at or timezone.now()
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
