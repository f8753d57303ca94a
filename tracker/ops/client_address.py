"""The address a request came from, for rate limits and login lockouts.

With no trusted proxy (TRUSTED_PROXY_COUNT=0, the default) it is the connection's own address,
which a client cannot forge. Behind N trusted proxies, each of which appends the address it saw
to X-Forwarded-For, it is the Nth entry from the right: what the outermost trusted proxy saw.
Entries further left were written by the client and are ignored. The API's rate limit reads the
same setting (Django REST framework's NUM_PROXIES), so all three agree.
"""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The client's IP address, or None when there is none (a request made on the server)."""
    candidates = []
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
        if addresses:
            candidates.append(addresses[-min(proxies, len(addresses))])
    candidates.append(request.META.get("REMOTE_ADDR"))
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None
