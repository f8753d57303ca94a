"""Telling subscribers about a newly published status update: one e-mail per address per update."""

import logging

from django.db.models import Q

from tracker.emails import Outgoing, SendResult, absolute_url, make_message, send_once
from tracker.models import EmailLog, Ownership, StatusUpdate, Subscription
from tracker.subscriptions import describe_subject, unsubscribe_url

logger = logging.getLogger(__name__)


def queue_update_notices(update_id: int) -> None:
    """Called after the publishing transaction commits, so a rollback sends nothing. Queues the
    job only when someone has subscribed at all (loading a report publishes many updates)."""
    from tracker.tasks import send_update_notices_task

    if Subscription.objects.filter(
        confirmed_at__isnull=False, unsubscribed_at__isnull=True
    ).exists():
        send_update_notices_task.delay(update_id)


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
        StatusUpdate.objects.published()
        .select_related("recommendation__report", "organisation")
        .filter(pk=update_id)
        .first()
    )
    if update is None:
        logger.warning("Update %s is not published; no notices sent.", update_id)
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
