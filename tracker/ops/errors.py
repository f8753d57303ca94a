"""Error pages in the site's layout: 400, 404, 500, and 503 when the database is down.

Each page has the exit button, the navigation, the search box and the support list, and never
any debug detail. Django calls these handlers (config/urls.py). `server_error` runs while the
exception is being handled, so the exception is still at hand: a database outage (PostgreSQL down
or restarting) is temporary, and load balancers and readers are told so with 503 and
`Retry-After`. The 500 and 503 pages touch no database, and fall back to plain text if even
rendering fails.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30
DATABASE_DOWN = (OperationalError, InterfaceError)


def bad_request(request, exception=None):
    message = (
        "The request could not be understood. Check the address, or start again from the overview."
    )
    return render(request, "tracker/bad_request.html", {"message": message}, status=400)


def page_not_found(request, exception=None):
    return render(request, "tracker/not_found.html", status=404)


def server_error(request):
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_DOWN):
        response = _render_or_text(
            request,
            "tracker/unavailable.html",
            503,
            "This page is briefly unavailable. Please try again in a minute.",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return _render_or_text(
        request,
        "tracker/server_error.html",
        500,
        "Sorry, something went wrong on our side. Please try again later.",
    )


def _render_or_text(request, template: str, status: int, text: str) -> HttpResponse:
    try:
        return render(request, template, status=status)
    except Exception:
        logger.exception("Could not render the error page %s", template)
        return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
