"""'Forgotten your password?': the same answer whether or not the address is known, limits per
client address and per account, one logged e-mail with a link built from SITE_URL."""

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tracker.models import EmailLog

pytestmark = pytest.mark.django_db

URL = reverse("admin_password_reset")
LINK = re.compile(r"https?://[^\s<>\"]+")


@pytest.fixture
def eager(settings):
    from config.celery import app

    settings.SITE_URL = "https://tracker.example.org"
    settings.ALLOWED_HOSTS = ["testserver", "evil.example.net"]
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def ask(client, email, address="192.0.2.1"):
    return client.post(URL, {"email": email}, REMOTE_ADDR=address, HTTP_HOST="evil.example.net")


def test_known_and_unknown_addresses_get_the_same_answer(client, eager, smtp_server):
    UserFactory(username="kim", email="kim@example.org")
    known = ask(client, "KIM@example.org")
    unknown = ask(client, "nobody@example.org")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known.status_code == 302
    done = client.get(known["Location"]).content.decode()
    assert "If the address belongs to a login" in done

    (received,) = smtp_server.messages
    assert received.recipients == ["kim@example.org"]
    link = next(link for link in LINK.findall(received.text) if "/reset/" in link)
    assert link.startswith("https://tracker.example.org/reset/")
    assert "evil.example.net" not in received.text + received.html
    log = EmailLog.objects.get()
    assert (log.kind, log.status) == (EmailLog.Kind.PASSWORD_RESET, EmailLog.Status.SENT)


def test_resets_are_limited_per_account_and_per_client_address(
    client, eager, smtp_server, settings
):
    settings.PASSWORD_RESETS_PER_ACCOUNT_PER_DAY = 2
    settings.PASSWORD_RESET_RATE_PER_HOUR = 3
    UserFactory(username="lee", email="lee@example.org")
    from django.core.cache import caches

    caches["rate_limits"].clear()
    answers = [ask(client, "lee@example.org", address=f"192.0.2.{n}") for n in range(1, 5)]
    assert {response.status_code for response in answers} == {302}
    assert len(smtp_server.messages) == 2  # per account per day
    # Past the per-address limit nothing more is queued, and the answer is the same.
    caches["rate_limits"].clear()
    settings.PASSWORD_RESETS_PER_ACCOUNT_PER_DAY = 10
    answers = [ask(client, "lee@example.org", address="198.51.100.1") for _ in range(5)]
    assert {response.status_code for response in answers} == {302}
    assert len(smtp_server.messages) == 2 + 3
