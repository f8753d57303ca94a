"""Inviting owners' contacts to log in: a new login for each, never someone else's.

An invitation only ever creates a login. A contact who already has one, or whose address (in any
case) already belongs to an account, is left alone and the editor is told why: an invitation can
never reset the password of an existing account, re-activate it, or change its groups. Each
invitation is one e-mail, recorded in the e-mail log and sent once, branded with SITE_NAME and
linking to SITE_URL whatever Host the editor's request came with.
"""

import secrets
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tracker.admin.roles import OWNER_CONTACTS
from tracker.jobs.emails import Outgoing, TransientEmailError, absolute_url, make_message, send_once
from tracker.models import Contact, EmailLog


@dataclass
class InvitationResult:
    invited: list[Contact] = field(default_factory=list)
    already_has_login: list[Contact] = field(default_factory=list)
    address_taken: list[Contact] = field(default_factory=list)
    not_sent: list[Contact] = field(default_factory=list)


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


def address_in_use(email: str) -> bool:
    return (
        get_user_model().objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists()
    )


def create_login(contact: Contact):
    """A new staff login in the contacts group, with a random password nobody knows."""
    email = contact.email.strip().lower()
    with transaction.atomic():
        user = get_user_model().objects.create_user(
            username=email, email=email, password=secrets.token_urlsafe(32), is_staff=True
        )
        user.groups.add(Group.objects.get(name=OWNER_CONTACTS))
        updated = Contact.objects.filter(pk=contact.pk, user__isnull=True).update(user=user)
        if updated != 1:  # another editor invited them meanwhile
            raise IntegrityError("The contact was given a login meanwhile.")
    contact.user = user
    return user


def invitation(contact: Contact, user) -> Outgoing:
    context = {
        "contact": contact,
        "username": user.get_username(),
        "set_password_url": set_password_url(user),
        "login_url": absolute_url(reverse("admin:login")),
    }
    return Outgoing(
        address=user.email,
        kind=EmailLog.Kind.CONTACT_INVITATION,
        period_key=f"login-{user.pk}",
        contact_id=contact.pk,
        build=lambda: make_message("contact_invitation", user.email, context),
    )


def invite_contacts(contacts) -> InvitationResult:
    result = InvitationResult()
    for contact in contacts.select_related("organisation").order_by("pk"):
        if contact.user_id is not None:
            result.already_has_login.append(contact)
            continue
        if address_in_use(contact.email):
            result.address_taken.append(contact)
            continue
        try:
            user = create_login(contact)
        except IntegrityError:
            result.address_taken.append(contact)
            continue
        try:
            sent = send_once([invitation(contact, user)])
        except TransientEmailError:
            result.not_sent.append(contact)
            continue
        if sent.sent:
            result.invited.append(contact)
        else:
            result.not_sent.append(contact)
    return result
