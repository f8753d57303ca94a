"""Password reset e-mails: sent by a job, so that the form answers alike and as fast whether or
not the address belongs to an account, and limited per account per day through the e-mail log.

Links are built from SITE_URL (never the request's Host) and lead to the tracker's own
set-password page.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tracker.jobs.emails import Outgoing, SendResult, absolute_url, make_message, send_once
from tracker.models import EmailLog


def set_password_url(user) -> str:
    """The tracker's own set-password page, at SITE_URL; the link works once."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return absolute_url(path)


def accounts_for(email: str):
    """Active accounts with this address (any case) that have a password to reset."""
    users = get_user_model().objects.filter(email__iexact=email.strip(), is_active=True)
    return [user for user in users if user.has_usable_password()]


def send_password_reset(email: str, today: datetime.date) -> SendResult:
    total = SendResult()
    for user in accounts_for(email):
        sent_today = EmailLog.objects.filter(
            kind=EmailLog.Kind.PASSWORD_RESET,
            address=user.email,
            period_key__startswith=f"reset-{user.pk}-{today.isoformat()}-",
            status=EmailLog.Status.SENT,
        ).count()
        if sent_today >= settings.PASSWORD_RESETS_PER_ACCOUNT_PER_DAY:
            continue
        context = {
            "user": user,
            "set_password_url": set_password_url(user),
            "login_url": absolute_url(reverse("admin:login")),
        }
        result = send_once(
            [
                Outgoing(
                    address=user.email,
                    kind=EmailLog.Kind.PASSWORD_RESET,
                    # The nth e-mail of the day: a retry of a failed send reuses its row.
                    period_key=f"reset-{user.pk}-{today.isoformat()}-{sent_today + 1}",
                    build=lambda context=context, to=user.email: make_message(
                        "password_reset", to, context
                    ),
                )
            ]
        )
        total.sent += result.sent
        total.failed += result.failed
        total.already_done += result.already_done
    return total
