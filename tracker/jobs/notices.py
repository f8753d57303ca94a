"""Telling subscribers about a newly published status update: one e-mail per address per update.

Publishing (`tracker.updates.publish_update`) writes a PendingNotice in its own transaction (the
outbox), then queues the job after commit. If the broker is down the queueing fails, is logged,
and publishing still succeeds; the periodic sweep (`send_pending_notices`) sends what is left
once the broker and workers are back.

Subscribers are told only of what the public may see (`StatusUpdateQuerySet.public`): an update
of a report an editor has not published, or has withdrawn before its notices went out, is never
e-mailed (not even once the report is published later; its updates are then on the pages and
feeds).
"""

import logging

from django.db.models import Q

from tracker.jobs.emails import (
    Outgoing,
    SendResult,
    TransientEmailError,
    absolute_url,
    make_message,
    send_once,
)
from tracker.jobs.subscriptions import describe_subject, unsubscribe_url
from tracker.models import EmailLog, Ownership, PendingNotice, StatusUpdate, Subscription

logger = logging.getLogger(__name__)


def send_due_notices(update_id: int) -> SendResult:
    """Send one update's notices and clear its pending mark. The mark stays when some e-mails
    must be retried (TransientEmailError propagates, so the job retries too)."""
    result = send_update_notices(update_id)
    PendingNotice.objects.filter(update_id=update_id).delete()
    return result


def send_pending_notices() -> SendResult:
    """The sweep: send every update's notices still pending, oldest first. An update whose
    e-mails cannot be sent for now stays pending for the next sweep."""
    total = SendResult()
    for update_id in list(PendingNotice.objects.values_list("update_id", flat=True)):
        try:
            result = send_due_notices(update_id)
        except TransientEmailError as error:
            logger.warning("Notices for update %s stay pending: %s", update_id, error)
            total.deferred += 1
            continue
        total.sent += result.sent
        total.failed += result.failed
        total.already_done += result.already_done
    return total


def subscriptions_for(update: StatusUpdate) -> list[Subscription]:
    recommendation = update.recommendation
    owners = Ownership.objects.filter(recommendation=recommendation).values("organisation_id")
    return list(
        Subscription.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
        .filter(
            Q(recommendation=recommendation)
            | Q(report_id=recommendation.report_id)
            | Q(organisation_id__in=owners)
        )
        .select_related("recommendation__report", "report", "organisation")
        .order_by("email", "pk")
    )


def send_update_notices(update_id: int) -> SendResult:
    update = (
        StatusUpdate.objects.public()
        .select_related("recommendation__report", "organisation", "source")
        .filter(pk=update_id)
        .first()
    )
    if update is None:
        logger.warning(
            "Update %s is not published, or its report is not; no notices sent.", update_id
        )
        return SendResult()
    by_address: dict[str, list[Subscription]] = {}
    for subscription in subscriptions_for(update):
        by_address.setdefault(subscription.email, []).append(subscription)
    outgoing = [
        Outgoing(
            address=address,
            kind=EmailLog.Kind.UPDATE_NOTICE,
            period_key=f"update-{update.pk}",
            subscription_id=subscriptions[0].pk,
            build=_builder(update, address, subscriptions),
        )
        for address, subscriptions in by_address.items()
    ]
    return send_once(outgoing)


def _builder(update: StatusUpdate, address: str, subscriptions: list[Subscription]):
    def build():
        context = {
            "update": update,
            "recommendation": update.recommendation,
            "recommendation_url": absolute_url(update.recommendation.get_absolute_url()),
            "reasons": [(describe_subject(s.subject), unsubscribe_url(s)) for s in subscriptions],
        }
        return make_message(
            "update_notice", address, context, unsubscribe_url=unsubscribe_url(subscriptions[0])
        )

    return build
