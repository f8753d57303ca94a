"""Subscribe, confirm and unsubscribe pages, and the digest opt-out.

Links in e-mails lead to a page with a button: opening a link never changes anything (mail
scanners open links), pressing the button does. The unsubscribe and opt-out addresses also accept
the one-click POST that mail programs send for `List-Unsubscribe-Post`.
"""

from django import forms
from django.conf import settings
from django.db.models import Model
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tracker.jobs import subscriptions
from tracker.jobs.digest_opt_out import contact_for_opt_out
from tracker.models import Contact, Organisation, Recommendation, Report
from tracker.ops.client_address import client_address
from tracker.ops.rate_limits import allow


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label="Your e-mail address",
        max_length=254,
        help_text="We send a link to confirm. Your address is never shown on this site.",
    )


@require_http_methods(["GET", "POST"])
def subscribe_recommendation(request, slug: str, number: int):
    recommendation = get_object_or_404(
        Recommendation.objects.public().select_related("report"),
        report__slug=slug,
        number=number,
    )
    return _subscribe(request, recommendation)


@require_http_methods(["GET", "POST"])
def subscribe_report(request, slug: str):
    return _subscribe(request, get_object_or_404(Report.objects.public(), slug=slug))


@require_http_methods(["GET", "POST"])
def subscribe_owner(request, slug: str):
    return _subscribe(request, get_object_or_404(Organisation.objects.public(), slug=slug))


def _subscribe(request, subject: Model):
    context = {
        "subject": subject,
        "subject_description": subscriptions.describe_subject(subject),
    }
    form = SubscribeForm(request.POST or None)
    if request.method == "POST":
        # Per client address per hour, counted while Redis is down too (tracker/ops/rate_limits.py).
        # Inboxes are protected apart from it: see CONFIRMATIONS_PER_ADDRESS_PER_DAY.
        window = f"{client_address(request) or 'unknown'}:{timezone.now():%Y%m%d%H}"
        allowed = allow(f"subscribe-rate:{window}", settings.SUBSCRIBE_RATE_PER_HOUR, 3600)
        if not allowed:
            return render(request, "tracker/subscribe_limited.html", context, status=429)
        if form.is_valid():
            subscriptions.request_subscription(form.cleaned_data["email"], subject)
            # The same answer whether the address is new, pending or already subscribed.
            return render(request, "tracker/subscribe_sent.html", context)
    return render(request, "tracker/subscribe.html", {**context, "form": form})


@require_http_methods(["GET", "POST"])
def subscription_confirm(request, token: str):
    subscription = subscriptions.subscription_for_token(token)
    if subscription is None or subscription.unsubscribed_at is not None:
        raise Http404("This link is not valid.")
    if request.method == "POST":
        subscription = subscriptions.confirm(token)
    return render(
        request,
        "tracker/subscribe_confirm.html",
        {
            "subscription": subscription,
            "subject_description": subscriptions.describe_subject(subscription.subject),
        },
    )


@csrf_exempt  # mail programs' one-click unsubscribe posts without a CSRF token
@require_http_methods(["GET", "POST"])
def subscription_unsubscribe(request, token: str):
    subscription = subscriptions.subscription_for_token(token)
    if subscription is None:
        raise Http404("This link is not valid.")
    if request.method == "POST":
        subscription = subscriptions.unsubscribe(token)
    return render(
        request,
        "tracker/subscribe_unsubscribe.html",
        {
            "subscription": subscription,
            "subject_description": subscriptions.describe_subject(subscription.subject),
        },
    )


@csrf_exempt  # mail programs' one-click unsubscribe posts without a CSRF token
@require_http_methods(["GET", "POST"])
def digest_opt_out(request, token: str):
    contact = contact_for_opt_out(token)
    if contact is None:
        raise Http404("This link is not valid.")
    done = False
    if request.method == "POST":
        Contact.objects.filter(pk=contact.pk).update(receives_digest=False)
        done = True
    return render(
        request,
        "tracker/subscribe_opt_out.html",
        {"contact": contact, "done": done or not contact.receives_digest},
    )
