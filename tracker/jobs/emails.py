"""Building e-mails from templates, and sending them exactly once through the e-mail log.

`make_message` renders `templates/emails/<name>.subject.txt`, `<name>.txt` and `<name>.html`.
`send_once` records each e-mail before it is sent and updates the record after, over one SMTP
connection per batch: a second run, or a run after a crash or an SMTP outage, sends only what is
missing. The one unavoidable gap: if the process dies after the server accepted a message but
before the record was updated, that message is sent again (with the same Message-ID).
"""

import datetime
import logging
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from tracker.models import EmailLog

logger = logging.getLogger(__name__)


class TransientEmailError(Exception):
    """Some e-mails could not be sent for now (server down or busy); running again sends them."""


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def render_part(template: str, context: dict) -> str:
    """Render `templates/emails/<template>` with the site's name and address in the context."""
    return render_to_string(
        f"emails/{template}",
        {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL, **context},
    )


def make_message(
    name: str,
    to: str,
    context: dict,
    unsubscribe_url: str | None = None,
    reply_to: str | None = None,
) -> EmailMultiAlternatives:
    if unsubscribe_url:
        context = {**context, "unsubscribe_url": unsubscribe_url}
    subject = " ".join(render_part(f"{name}.subject.txt", context).split())
    text = render_part(f"{name}.txt", context)
    html = render_part(f"{name}.html", context)
    headers = {}
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [to],
        headers=headers,
        reply_to=[reply_to] if reply_to else None,
    )
    message.attach_alternative(html, "text/html")
    return message


@dataclass(frozen=True)
class Outgoing:
    """One e-mail a job means to send, identified by (address, kind, period key)."""

    address: str
    kind: str
    period_key: str
    build: Callable[[], EmailMultiAlternatives]
    contact_id: int | None = None
    subscription_id: int | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.address, self.kind, self.period_key)


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    already_done: int = 0

    def __str__(self) -> str:
        return (
            f"{self.sent} sent, {self.already_done} already done, {self.deferred} deferred "
            f"(will be retried), {self.failed} failed permanently."
        )


def record(outgoing: Iterable[Outgoing]) -> None:
    """Log every e-mail before anything is sent; rows that exist already are left as they are."""
    EmailLog.objects.bulk_create(
        [
            EmailLog(
                address=item.address,
                kind=item.kind,
                period_key=item.period_key,
                contact_id=item.contact_id,
                subscription_id=item.subscription_id,
            )
            for item in outgoing
        ],
        ignore_conflicts=True,
    )


def send_once(outgoing: list[Outgoing]) -> SendResult:
    """Send each e-mail not yet sent, over one SMTP connection. Raises TransientEmailError after
    recording the error when some could not be sent for now, so that the caller retries."""
    result = SendResult()
    if not outgoing:
        return result
    record(outgoing)
    logs = {
        (log.address, log.kind, log.period_key): log
        for log in EmailLog.objects.filter(
            kind__in={item.kind for item in outgoing},
            period_key__in={item.period_key for item in outgoing},
            address__in={item.address for item in outgoing},
        )
    }
    pending = []
    for item in outgoing:
        log = logs[item.key]
        if log.status == EmailLog.Status.PENDING:
            pending.append((item, log))
        else:
            result.already_done += 1
    if not pending:
        return result

    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        EmailLog.objects.filter(pk__in=[log.pk for _, log in pending]).update(
            attempts=F("attempts") + 1, last_attempt_at=timezone.now(), last_error=describe(error)
        )
        raise TransientEmailError(f"Could not reach the mail server: {describe(error)}") from error
    try:
        for position, (item, log) in enumerate(pending):
            outcome = _send_one(connection, item, log.pk)
            if outcome == "sent":
                result.sent += 1
            elif outcome == "failed":
                result.failed += 1
            elif outcome == "skipped":
                result.already_done += 1
            elif outcome == "deferred":
                result.deferred += 1
            else:  # the connection broke: leave the rest for the retry
                result.deferred += len(pending) - position
                break
    finally:
        connection.close()
    logger.info("E-mails: %s", result)
    if result.deferred:
        raise TransientEmailError(f"Some e-mails must be retried: {result}")
    return result


def _send_one(connection, item: Outgoing, log_pk: int) -> str:
    with transaction.atomic():
        # Another worker sending the same e-mail holds the row; skip it rather than wait.
        log = (
            EmailLog.objects.select_for_update(skip_locked=True)
            .filter(pk=log_pk, status=EmailLog.Status.PENDING)
            .first()
        )
        if log is None:
            return "skipped"
        message = item.build()
        message.extra_headers["Message-ID"] = message_id_for(log)
        log.subject = message.subject[:300]
        log.message_id = message.extra_headers["Message-ID"]
        log.attempts += 1
        log.last_attempt_at = timezone.now()
        try:
            connection.send_messages([message])
        except smtplib.SMTPServerDisconnected as error:
            log.last_error = describe(error)
            log.save()
            return "broken"
        except smtplib.SMTPException as error:  # a reply from the server about this message
            log.last_error = describe(error)
            if is_permanent(error):
                log.status = EmailLog.Status.FAILED
                log.save()
                return "failed"
            log.save()
            return "deferred"
        except OSError as error:  # the connection itself failed (SMTPException is an OSError)
            log.last_error = describe(error)
            log.save()
            return "broken"
        log.status = EmailLog.Status.SENT
        log.sent_at = timezone.now()
        log.last_error = ""
        log.save()
        return "sent"


def message_id_for(log: EmailLog) -> str:
    """The same Message-ID every time this e-mail is attempted, so a repeat can be recognised."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{log.kind}.{log.period_key}.{log.pk}@{domain}>"


def is_permanent(error: smtplib.SMTPException) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    code = getattr(error, "smtp_code", None)
    return code is not None and code >= 500


def describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


def iso_week_key(week_start: datetime.date) -> str:
    year, week, _ = week_start.isocalendar()
    return f"{year}-W{week:02d}"
