"""Which query parameters each public page takes, and the answer to any other.

A page declares the parameters it reads with `@takes_query(...)`. Anything else gets an answer
before the view runs, so the page cache (which stores 200s only) never keeps a copy per variant:

- campaign tags added by newsletters and social sites (`utm_*`, `fbclid`, ...) redirect (301) to
  the same page without them, so a shared link still works;
- any other unknown parameter gets a 400 that names it and lists what the page takes.
"""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.http import HttpResponsePermanentRedirect
from django.shortcuts import render

TRACKING_PREFIXES = ("utm_",)
TRACKING_NAMES = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid"})


def is_tracking(name: str) -> bool:
    return name.startswith(TRACKING_PREFIXES) or name in TRACKING_NAMES


def query_answer(request, accepted: frozenset[str]):
    """None when every parameter is one the page takes, else the redirect or the 400."""
    unknown = set(request.GET) - accepted
    if not unknown:
        return None
    refused = sorted(name for name in unknown if not is_tracking(name))
    if refused:
        takes = ", ".join(sorted(accepted)) or "no query parameters"
        message = f"Unknown query parameter: {', '.join(refused)}. This page takes {takes}."
        return render(request, "tracker/bad_request.html", {"message": message}, status=400)
    kept = [(name, value) for name, values in request.GET.lists() for value in values]
    kept = [(name, value) for name, value in kept if name in accepted]
    return HttpResponsePermanentRedirect(request.path + (f"?{urlencode(kept)}" if kept else ""))


def takes_query(*names: str):
    """Declare the query parameters a view reads; see the module's docstring for the rest."""
    accepted = frozenset(names)

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if (answer := query_answer(request, accepted)) is not None:
                return answer
            return view(request, *args, **kwargs)

        wrapper.accepted_query = accepted
        return wrapper

    return decorate
