"""The error page: a database that cannot be reached answers 503 with Retry-After, not a hang.

Django calls `server_error` (config/urls.py's handler500) while handling the exception, so the
exception is still at hand. A database outage (PostgreSQL down or restarting) is temporary: load
balancers and readers are told so with 503 and `Retry-After`; any other error is Django's 500.
The page touches no database, and falls back to plain text if even rendering fails.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import render
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30
DATABASE_DOWN = (OperationalError, InterfaceError)


def server_error(request):
    error = sys.exc_info()[1]
    if not isinstance(error, DATABASE_DOWN):
        return django_server_error(request)
    try:
        response = render(request, "tracker/unavailable.html", status=503)
    except Exception:
        logger.exception("Could not render the unavailable page")
        response = HttpResponse(
            "This page is briefly unavailable. Please try again in a minute.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
