"""Whole-page caching of public pages for anonymous readers, invalidated by a data version.

A cached page is stored under its path and query string and the day (pages say what is overdue
*today*), together with the **data version** it was rendered under: a token in the shared cache
that changes whenever published data changes (`tracker.data_version`): any save or delete of the
ledger's models (publishing an update, the admin, `load_reports`, imports) after its transaction
commits, and explicitly after the overdue job, snapshots and `seed_demo`. A page is served only
when its version is the current one (both are read in one round trip), so no stale page outlives
a change; entries expire after `PAGE_CACHE_SECONDS`.

Each public page takes only the query parameters it declares (`tracker.public.query_params`):
others get a 301 to the page without them (campaign tags) or a 400, so no variant is stored.

Never cached: anything but GET, requests from a logged-in session (editors, owners' contacts; a
stray session cookie does not count),
the admin, the API, the site search (any words make a page), subscription pages, downloads
(`_export`), responses that set a cookie or used a CSRF token, and anything but a 200. The
security middlewares outside this one (CSP, security headers) add their headers to every
response, cached or not.

Off unless `PAGE_CACHE_SECONDS` is set (the cache must be shared by every process: Redis).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone

from tracker.data_version import VERSION_KEY, current_data_version

EXCLUDED_PREFIXES = (
    "/admin/",
    "/api/",
    "/reset/",
    "/subscriptions/",
    "/digest/",
    "/static/",
    "/search/",
)
# Headers the outer middlewares (django-csp, SecurityMiddleware) set afresh on every response.
NOT_STORED_HEADERS = {
    "set-cookie",
    "content-security-policy",
    "content-security-policy-report-only",
}
CACHE_STATUS_HEADER = "X-Page-Cache"


def cache_seconds() -> int:
    return getattr(settings, "PAGE_CACHE_SECONDS", 0)


def has_logged_in_session(request) -> bool:
    """True when the session cookie names a session with a logged-in user. A stray, expired or
    made-up cookie does not count, so it cannot be used to get around the cache."""
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(key)
    try:
        return SESSION_KEY in store
    except Exception:  # a session store that cannot be read: treat as a reader who logged in
        return True


def is_cacheable_request(request) -> bool:
    return (
        request.method == "GET"
        and not request.path.startswith(EXCLUDED_PREFIXES)
        and "/subscribe/" not in request.path
        and "_export" not in request.GET
        and not has_logged_in_session(request)
    )


def is_cacheable_response(request, response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not request.META.get("CSRF_COOKIE_USED")
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )


def page_key(request) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"page:{timezone.localdate().isoformat()}:{path}"


def _stored(response) -> tuple[int, bytes, list[tuple[str, str]]]:
    headers = [
        (name, value)
        for name, value in response.headers.items()
        if name.lower() not in NOT_STORED_HEADERS
    ]
    return response.status_code, response.content, headers


def _rebuilt(stored: tuple[int, bytes, list[tuple[str, str]]]) -> HttpResponse:
    status, content, headers = stored
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    response[CACHE_STATUS_HEADER] = "hit"
    return response


class PublicPageCacheMiddleware:
    """Serve anonymous GETs of public pages from the cache (see the module's docstring).

    Each process also keeps the pages it served last in memory (`LOCAL_PAGES` of them), so a
    page read often costs one small round trip (the data version) rather than fetching and
    unpickling the whole page; a page kept in memory is still served only under the current data
    version, and no longer than `PAGE_CACHE_SECONDS` after it was rendered or fetched.
    """

    LOCAL_PAGES = 200

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.local: OrderedDict[str, tuple[float, str, tuple]] = OrderedDict()

    def __call__(self, request):
        seconds = cache_seconds()
        if not seconds or not is_cacheable_request(request):
            return self.get_response(request)
        key = page_key(request)
        kept = self.local.get(key)
        from_memory = False
        if kept is not None and kept[0] > time.monotonic():
            version = cache.get(VERSION_KEY) or current_data_version()
            if kept[1] == version:
                entry, from_memory = kept[1:], True
            else:
                entry = cache.get(key)
        else:
            # One round trip: the page (stored with the version it was rendered under) and the
            # current version; a page from an older version is stale and rendered afresh.
            found = cache.get_many([key, VERSION_KEY])
            version = found.get(VERSION_KEY) or current_data_version()
            entry = found.get(key)
        if version is None:  # the shared cache cannot be reached: no version, so no cache
            return self.get_response(request)
        if entry is not None and entry[0] == version:
            if not from_memory:
                self.keep(key, entry, seconds)
            return _rebuilt(entry[1])
        response = self.get_response(request)
        if is_cacheable_response(request, response):
            entry = (version, _stored(response))
            cache.set(key, entry, seconds)
            self.keep(key, entry, seconds)
            response[CACHE_STATUS_HEADER] = "miss"
        return response

    def keep(self, key: str, entry: tuple, seconds: int) -> None:
        self.local[key] = (time.monotonic() + seconds, *entry)
        self.local.move_to_end(key)
        while len(self.local) > self.LOCAL_PAGES:
            self.local.popitem(last=False)
