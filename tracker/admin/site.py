"""The admin site: Django's own, with optional two-factor log-in (django-otp, TOTP).

A member of staff without a TOTP device logs in with their password alone. Once they have added
one (under "Two-factor log-in" at the top of the admin), the log-in form also asks for the code
their authenticator app shows, and a session that did not give one is not let in.
"""

import base64

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import options, widgets
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.db import models
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

# Every admin form's URL field assumes https:// when an editor leaves the scheme out (Django 6.0's
# default), chosen here for each field rather than by the deprecated FORMS_URLFIELD_ASSUME_HTTPS.
options.FORMFIELD_FOR_DBFIELD_DEFAULTS[models.URLField] = {
    "widget": widgets.AdminURLFieldWidget,
    "assume_scheme": "https",
}

TOKEN_WIDGET = forms.TextInput(
    attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
)


def passed_second_factor(user) -> bool:
    """True for a user with no confirmed device, or whose session gave a device's code."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified()) or not user_has_device(user, confirmed=True)


LOGIN_FAILED = (
    "Please enter the correct username and password, and the code from your authenticator app "
    "if you have turned on two-factor log-in."
)


class TwoFactorAuthenticationForm(AdminAuthenticationForm):
    """One message for every failure (password, code, or both), so that the form never tells
    whether the password was right; a wrong or missing code counts as a failed log-in for the
    lockout, as a wrong password does."""

    error_messages = {**AdminAuthenticationForm.error_messages, "invalid_login": LOGIN_FAILED}

    otp_token = forms.CharField(
        label="Code from your authenticator app",
        required=False,
        max_length=16,
        widget=TOKEN_WIDGET,
        help_text="Only if you have turned on two-factor log-in.",
    )

    def clean(self):
        cleaned_data = super().clean()
        user = self.get_user()
        if user is None or not user_has_device(user, confirmed=True):
            return cleaned_data
        token = (cleaned_data.get("otp_token") or "").strip()
        device = match_token(user, token) if token else None
        if device is None:
            self.user_cache = None
            user_login_failed.send(
                sender=__name__,
                credentials={"username": cleaned_data.get("username")},
                request=self.request,
            )
            raise forms.ValidationError(LOGIN_FAILED, code="invalid_login")
        # django-otp marks the session as verified by this device when the user is logged in.
        user.otp_device = device
        return cleaned_data


class TokenForm(forms.Form):
    otp_token = forms.CharField(label="Code from your authenticator app", widget=TOKEN_WIDGET)


class TrackerAdminSite(admin.AdminSite):
    login_form = TwoFactorAuthenticationForm
    login_template = "admin/login_two_factor.html"
    index_template = "admin/tracker_index.html"

    def index(self, request, extra_context=None):
        """Editors see how many drafts wait for review, with a link to the review queue."""
        from tracker.models import StatusUpdate

        extra_context = extra_context or {}
        if request.user.has_perm("tracker.publish_statusupdate"):
            extra_context["drafts_awaiting_review"] = StatusUpdate.objects.drafts().count()
        return super().index(request, extra_context)

    def has_permission(self, request) -> bool:
        return super().has_permission(request) and passed_second_factor(request.user)

    def get_urls(self):
        return [
            path("two-factor/", self.admin_view(self.two_factor), name="two_factor"),
            *super().get_urls(),
        ]

    def two_factor(self, request):
        """Turn two-factor log-in on (add a device, confirm its first code) or off."""
        user = request.user
        confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        pending = (
            None if confirmed else TOTPDevice.objects.filter(user=user, confirmed=False).first()
        )
        form = TokenForm()
        if request.method == "POST":
            action = request.POST.get("action")
            if action == "start" and confirmed is None:
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
                return redirect("admin:two_factor")
            device = confirmed or pending
            form = TokenForm(request.POST)
            if device is not None and action in {"confirm", "turn_off"} and form.is_valid():
                if device.verify_token(form.cleaned_data["otp_token"].strip()):
                    if action == "confirm" and not device.confirmed:
                        device.confirmed = True
                        device.save(update_fields=["confirmed"])
                        otp_login(request, device)
                        messages.success(request, "Two-factor log-in is on.")
                    elif action == "turn_off" and device.confirmed:
                        TOTPDevice.objects.filter(user=user).delete()
                        messages.success(request, "Two-factor log-in is off.")
                    return redirect("admin:two_factor")
                form.add_error("otp_token", "That code is not right or has expired.")
        context = {
            **self.each_context(request),
            "title": "Two-factor log-in",
            "confirmed": confirmed,
            "pending": pending,
            "form": form,
        }
        if pending is not None:
            context["secret"] = base64.b32encode(pending.bin_key).decode().rstrip("=")
            context["config_url"] = pending.config_url
        return TemplateResponse(request, "admin/two_factor.html", context)
