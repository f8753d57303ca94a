"""Login lockout (django-axes): the backend that refuses a locked-out user name and address, and
the page they see instead of the login form."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.shortcuts import render


class LockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check for every login made over HTTP.

    A login without a request (code running on the server, such as Django's test client or a
    management command) has no address to lock out and cannot be reached from outside, so it goes
    straight to the password check instead of failing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, original_response, credentials):
    """The admin-styled page shown (with status 429) while a user name and address are locked."""
    return render(
        request,
        "admin/locked_out.html",
        {
            **admin.site.each_context(request),
            "title": "Too many failed log-in attempts",
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cooloff_minutes": settings.AXES_COOLOFF_MINUTES,
        },
        status=429,
    )


class CaseInsensitiveModelBackend(ModelBackend):
    """Django's password check, with the user name (a contact's e-mail address) matched without
    regard to case: "Jane.Doe@Example.org" logs in as jane.doe@example.org."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        users = get_user_model()._default_manager.filter(
            **{f"{get_user_model().USERNAME_FIELD}__iexact": username}
        )
        matches = list(users[:2])
        if len(matches) != 1:
            # None, or two accounts differing only in case: neither is guessed at.
            get_user_model()().set_password(password)  # the same work as a real check
            return None
        user = matches[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def lockout_username(request, credentials) -> str | None:
    """The name axes counts failures under: one count per account, whatever the case typed."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username")
    return username.strip().lower() if isinstance(username, str) else username
