"""Subscriptions by e-mail to a recommendation, a report or an owner, with double opt-in.

Nothing is sent to a subscriber before they click the confirmation link. Asking again gives the
same answer whatever the address's state; at most one confirmation e-mail goes to a pending
subscription each day, so the form cannot be used to flood someone's inbox.
"""

import datetime
import logging
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from tracker.enqueue import task_named
from tracker.jobs.emails import (
    Outgoing,
    SendResult,
    TransientEmailError,
    absolute_url,
    make_message,
    send_once,
)
from tracker.models import EmailLog, Organisation, Recommendation, Report, Subscription

logger = logging.getLogger(__name__)

Subject = Recommendation | Report | Organisation


def subject_field(subject: Subject) -> str:
    if isinstance(subject, Recommendation):
        return "recommendation"
    if isinstance(subject, Report):
        return "report"
    return "organisation"


def describe_subject(subject: Subject) -> str:
    if isinstance(subject, Recommendation):
        return f"recommendation {subject}"
    if isinstance(subject, Report):
        return f"the report “{subject.title}”"
    return f"recommendations owned by {subject.name}"


def mailbox(address: str) -> tuple[str, str]:
    """(local part without any +tag, domain), lowercased: "Ann+x@Example.org" → ("ann", …)."""
    local, _, domain = address.strip().lower().rpartition("@")
    return local.split("+", 1)[0], domain


def confirmations_today(address: str, today: datetime.date) -> int:
    """Confirmation e-mails recorded today for this mailbox, under any +tag of it."""
    local, domain = mailbox(address)
    candidates = EmailLog.objects.filter(
        kind=EmailLog.Kind.SUBSCRIPTION_CONFIRMATION,
        period_key__endswith=f"-{today.isoformat()}",
        address__istartswith=local,
        address__iendswith=f"@{domain}",
    ).values_list("address", flat=True)
    return sum(1 for logged in candidates if mailbox(logged) == (local, domain))


def request_subscription(email: str, subject: Subject) -> Subscription:
    """Record the request; a confirmation e-mail is queued after commit unless already active."""
    email = email.strip().lower()
    lookup = {"email": email, subject_field(subject): subject}
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(**lookup).first()
        if subscription is None:
            try:
                with transaction.atomic():
                    subscription = Subscription.objects.create(**lookup)
            except IntegrityError:  # a simultaneous request created it
                subscription = Subscription.objects.get(**lookup)
        elif subscription.unsubscribed_at is not None:
            subscription.unsubscribed_at = None
            subscription.confirmed_at = None
            subscription.requested_at = timezone.now()
            subscription.save()
        if not subscription.is_active:
            pk = subscription.pk
            transaction.on_commit(lambda: queue_confirmation(pk), robust=True)
    return subscription


def queue_confirmation(subscription_id: int) -> None:
    """After commit. A broker that cannot be reached is logged, not raised: the periodic sweep
    sends the confirmation (`send_missed_confirmations`)."""
    try:
        task_named("tracker.send_subscription_confirmation").delay(subscription_id)
    except Exception:
        logger.warning(
            "Could not queue the confirmation for subscription %s; the sweep will send it.",
            subscription_id,
            exc_info=True,
        )


def send_missed_confirmations(now: datetime.datetime) -> SendResult:
    """Pending subscriptions asked for in the last day with no confirmation e-mail recorded since
    the request (its queueing failed): send them now. The e-mail log keeps it to one a day."""
    logged = EmailLog.objects.filter(
        kind=EmailLog.Kind.SUBSCRIPTION_CONFIRMATION,
        subscription_id=OuterRef("pk"),
        created_at__gte=OuterRef("requested_at"),
    )
    missed = (
        Subscription.objects.filter(
            confirmed_at__isnull=True,
            unsubscribed_at__isnull=True,
            requested_at__gte=now - datetime.timedelta(days=1),
        )
        .exclude(Exists(logged))
        .values_list("pk", flat=True)
    )
    total = SendResult()
    for subscription_id in list(missed):
        try:
            result = send_confirmation(subscription_id, timezone.localdate(now))
        except TransientEmailError as error:
            logger.warning("Confirmation %s stays pending: %s", subscription_id, error)
            total.deferred += 1
            continue
        total.sent += result.sent
        total.failed += result.failed
        total.already_done += result.already_done
    return total


def confirm_url(subscription: Subscription) -> str:
    return absolute_url(reverse("subscription_confirm", args=[subscription.token]))


def unsubscribe_url(subscription: Subscription) -> str:
    return absolute_url(reverse("subscription_unsubscribe", args=[subscription.token]))


def send_confirmation(subscription_id: int, today: datetime.date) -> SendResult:
    subscription = (
        Subscription.objects.select_related("recommendation__report", "report", "organisation")
        .filter(pk=subscription_id, confirmed_at__isnull=True, unsubscribed_at__isnull=True)
        .first()
    )
    if subscription is None:
        return SendResult()
    already = EmailLog.objects.filter(
        kind=EmailLog.Kind.SUBSCRIPTION_CONFIRMATION,
        period_key=f"subscription-{subscription.pk}-{today.isoformat()}",
    ).exists()
    if not already and (
        confirmations_today(subscription.email, today) >= settings.CONFIRMATIONS_PER_ADDRESS_PER_DAY
    ):
        logger.info("Confirmation for subscription %s held: daily limit reached.", subscription.pk)
        return SendResult()
    context = {
        "subscription": subscription,
        "subject_description": describe_subject(subscription.subject),
        "subject_url": absolute_url(subscription.subject.get_absolute_url()),
        "confirm_url": confirm_url(subscription),
    }
    return send_once(
        [
            Outgoing(
                address=subscription.email,
                kind=EmailLog.Kind.SUBSCRIPTION_CONFIRMATION,
                period_key=f"subscription-{subscription.pk}-{today.isoformat()}",
                subscription_id=subscription.pk,
                build=lambda: make_message(
                    "subscription_confirmation", subscription.email, context
                ),
            )
        ]
    )


def confirm(token: str) -> Subscription | None:
    subscription = Subscription.objects.filter(token=token, unsubscribed_at__isnull=True).first()
    if subscription is None:
        return None
    Subscription.objects.filter(pk=subscription.pk, confirmed_at__isnull=True).update(
        confirmed_at=timezone.now()
    )
    subscription.refresh_from_db()
    return subscription


def unsubscribe(token: str) -> Subscription | None:
    subscription = Subscription.objects.filter(token=token).first()
    if subscription is None:
        return None
    Subscription.objects.filter(pk=subscription.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )
    subscription.refresh_from_db()
    return subscription


TOKEN = re.compile(r"[A-Za-z0-9_-]{1,100}")


def subscription_for_token(token: str) -> Subscription | None:
    """The subscription a link's token names; None for any token that could not be one (a NUL
    byte included, which the database would refuse)."""
    if not TOKEN.fullmatch(token):
        return None
    return (
        Subscription.objects.select_related("recommendation__report", "report", "organisation")
        .filter(token=token)
        .first()
    )
