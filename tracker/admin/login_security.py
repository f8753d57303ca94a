"""Login lockout (django-axes): the backend that refuses a locked-out user name and address, and
the page they see instead of the login form."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib import admin
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
