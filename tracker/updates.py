"""Publishing status updates and keeping each recommendation's headline status in step.

A status update is stored as a `tracker.models.StatusUpdate` (a draft until published, then
append-only). `publish_update` publishes it: it refreshes the recommendation's headline status,
writes the subscribers' notices outbox (`PendingNotice`) and queues their e-mails once the
transaction commits, and sends `update_published`, on which the static site asks for a rebuild
(`tracker.static_site.requests`).
"""

import datetime
import logging
from functools import partial

from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.utils import timezone

from tracker.accounts import disputed_now
from tracker.enqueue import task_named
from tracker.fact_dates import latest_check_now, newest_fact_now
from tracker.models import (
    PendingNotice,
    Recommendation,
    StatusUpdate,
    Subscription,
    status_account_on,
    status_on,
    status_on_date,
)
from tracker.response_clocks import response_late_from_now

logger = logging.getLogger(__name__)

# Sent inside the publishing transaction, with `update` (the published StatusUpdate). Receivers
# that act on the outside world defer it with `transaction.on_commit`.
update_published = Signal()


def refresh_headline_statuses(recommendations: QuerySet[Recommendation]) -> int:
    """Recompute the denormalised headline status (`Recommendation.status`, `status_on` and
    `status_account`) of these recommendations from the ledger in one set-based UPDATE, by the
    headline rule (`tracker.models.status_on`), with the other stored facts of today's view:
    whether the accounts disagree (`disputed`), the response clock (`response_late_from`,
    `tracker.response_clocks`) and the freshness line's dates (`tracker.fact_dates`)."""
    return recommendations.update(
        status=status_on(),
        status_on=status_on_date(),
        status_account=status_account_on(),
        disputed=disputed_now(),
        response_late_from=response_late_from_now(),
        latest_check_on=latest_check_now(),
        newest_fact_on=newest_fact_now(),
    )


def refresh_headline_status(recommendation_id: int) -> None:
    refresh_headline_statuses(Recommendation.objects.filter(pk=recommendation_id))


def publish_update(update: StatusUpdate, by=None, at: datetime.datetime | None = None) -> bool:
    """Publish a draft exactly once (`at` defaults to now). False when it is already published
    or has no source.

    Raises ValidationError when the draft breaks a rule of the ledger (a date after today, an
    organisation that does not own the recommendation): nothing is published then.
    """
    at = at or timezone.now()
    if not update.source_id:
        return False
    with transaction.atomic():
        locked = StatusUpdate.objects.select_for_update().get(pk=update.pk)
        if locked.is_published:
            return False
        locked.clean()
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
        # And the static site, if there is one, is rebuilt (debounced).
        update_published.send(sender=StatusUpdate, update=locked)
    update.refresh_from_db()
    return True


def record_notices_due(update_id: int) -> bool:
    """Inside the publishing transaction: note that the update's notices are due. Only when
    someone has subscribed at all (loading a report publishes many updates), and only when the
    public may see the update (its report is published): subscribers are never told of an
    unpublished report."""
    if not Subscription.objects.filter(
        confirmed_at__isnull=False, unsubscribed_at__isnull=True
    ).exists():
        return False
    if not StatusUpdate.objects.public().filter(pk=update_id).exists():
        return False
    PendingNotice.objects.get_or_create(update_id=update_id)
    return True


def queue_update_notices(update_id: int) -> None:
    """Called after the publishing transaction commits, so a rollback sends nothing. A broker
    that cannot be reached is logged, not raised: the pending notice stays for the sweep."""
    try:
        task_named("tracker.send_update_notices").delay(update_id)
    except Exception:
        logger.warning(
            "Could not queue the notices for update %s; the periodic sweep will send them.",
            update_id,
            exc_info=True,
        )
