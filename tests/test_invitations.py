"""Inviting contacts to log in, as an editor does it: the admin action, the e-mail received by a
real SMTP server, the tracker's own set-password page, and a log-in with the address."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from tests.factories import ContactFactory, OrganisationFactory, UserFactory, make_editor
from tracker.models import Contact, EmailLog

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s<>\"]+")
NEW_PASSWORD = "a long and unusual passphrase 47"  # noqa: S105 - a test account


@pytest.fixture
def site(settings):
    settings.SITE_URL = "https://tracker.example.org"
    settings.SITE_NAME = "Qz Inquiry Tracker"
    settings.ALLOWED_HOSTS = ["tracker.example.org", "testserver", "evil.example.net"]


def invite(client, *contacts, host="tracker.example.org"):
    return client.post(
        reverse("admin:tracker_contact_changelist"),
        {"action": "invite_to_log_in", "_selected_action": [c.pk for c in contacts]},
        HTTP_HOST=host,
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_an_invitation_is_one_logged_email_with_links_to_site_url(client, site, smtp_server):
    client.force_login(make_editor())
    contact = ContactFactory(name="Jo Example", email="Jo.Example@Example.org")
    # The editor's request came with another Host: links still point at SITE_URL.
    response = invite(client, contact, host="evil.example.net")
    assert "Sent 1 invitation(s)" in " ".join(messages_of(response))

    (received,) = smtp_server.messages
    assert received.recipients == ["jo.example@example.org"]
    assert "Qz Inquiry Tracker" in received.message["Subject"]
    for body in (received.text, received.html):
        assert "Qz Inquiry Tracker" in body
        assert "evil.example.net" not in body
    links = LINK.findall(received.text)
    set_password = next(link for link in links if "/reset/" in link)
    assert set_password.startswith("https://tracker.example.org/reset/")
    log = EmailLog.objects.get(kind=EmailLog.Kind.CONTACT_INVITATION)
    assert (log.address, log.status, log.contact_id) == (
        "jo.example@example.org",
        EmailLog.Status.SENT,
        contact.pk,
    )

    # The set-password page is the tracker's own, in the site's layout.
    client.logout()
    path = set_password.removeprefix("https://tracker.example.org")
    page = client.get(path, follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Choose a password" in html
    assert 'class="site-name"' in html  # the public layout, not the admin's
    form_path = page.redirect_chain[-1][0] if page.redirect_chain else path
    done = client.post(
        form_path,
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Your password is set" in done.content.decode()
    # Log-in by address ignores case.
    assert client.login(username="JO.EXAMPLE@example.ORG", password=NEW_PASSWORD)


def test_an_invitation_never_takes_over_an_existing_account(client, site, smtp_server):
    client.force_login(make_editor())
    disabled_admin = UserFactory(
        username="boss@example.org", is_superuser=True, is_active=False, email="boss@example.org"
    )
    password_hash = disabled_admin.password
    contact = ContactFactory(email="Boss@Example.org")
    response = invite(client, contact)
    text = " ".join(messages_of(response))
    assert "Sent 0 invitation(s)" in text
    assert "an account with the same address already exists" in text
    disabled_admin.refresh_from_db()
    assert disabled_admin.password == password_hash
    assert not disabled_admin.is_active
    assert not disabled_admin.groups.exists()
    contact.refresh_from_db()
    assert contact.user is None
    assert smtp_server.messages == []
    assert not EmailLog.objects.exists()


def test_a_second_invitation_sends_nothing_and_says_so(client, site, smtp_server):
    client.force_login(make_editor())
    contact = ContactFactory()
    invite(client, contact)
    response = invite(client, contact)
    assert "already have a login" in " ".join(messages_of(response))
    assert len(smtp_server.messages) == 1
    assert get_user_model().objects.filter(email=contact.email.lower()).count() == 1


def test_contact_addresses_are_unique_without_regard_to_case(client, site):
    organisation = OrganisationFactory()
    ContactFactory(organisation=organisation, email="same@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(organisation=organisation, name="Twin", email="SAME@example.org")
    twin = Contact(organisation=organisation, name="Twin", email="Same@Example.org")
    with pytest.raises(ValidationError, match="Another contact already has this e-mail address"):
        twin.full_clean()
    # The admin says so in a sentence.
    client.force_login(make_editor())
    response = client.post(
        reverse("admin:tracker_contact_add"),
        {
            "organisation": organisation.pk,
            "name": "Twin",
            "email": "SAME@EXAMPLE.ORG",
            "receives_digest": "on",
        },
    )
    assert response.status_code == 200
    assert "Another contact already has this e-mail address" in response.content.decode()
