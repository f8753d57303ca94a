"""The signed link in every digest that lets a contact stop receiving it.

The digest job writes the link (`opt_out_url`); the public opt-out page reads it
(`contact_for_opt_out`), without knowing anything else about the digest.
"""

from django.core import signing
from django.urls import reverse

from tracker.jobs.emails import absolute_url
from tracker.models import Contact

OPT_OUT_SALT = "tracker.digest-opt-out"


def opt_out_url(contact: Contact) -> str:
    token = signing.dumps(contact.pk, salt=OPT_OUT_SALT)
    return absolute_url(reverse("digest_opt_out", args=[token]))


def contact_for_opt_out(token: str) -> Contact | None:
    try:
        pk = signing.loads(token, salt=OPT_OUT_SALT)
    except signing.BadSignature:
        return None
    return Contact.objects.filter(pk=pk).first()
