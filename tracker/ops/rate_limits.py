"""Rate limits that keep counting while Redis is down.

Counts live in the cache alias "rate_limits" (the shared Redis in production, set up not to
swallow errors). When it cannot be reached, each process counts in a memory cache of its own
instead: a limit then applies per process rather than across all of them, which is looser, but
never "no limit at all", as a cache that answers every read with a miss would be. Where no
"rate_limits" alias is configured, the default cache is the shared one.
"""

import logging

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

logger = logging.getLogger(__name__)


class FallbackCache:
    """The two methods DRF's throttles use (get, set), plus a counter; shared first, local after."""

    def __init__(self) -> None:
        self.local = LocMemCache("rate-limits-local", {"OPTIONS": {"MAX_ENTRIES": 10000}})

    @property
    def shared(self):
        return caches["rate_limits" if "rate_limits" in settings.CACHES else "default"]

    def _call(self, method: str, *args, **kwargs):
        try:
            return getattr(self.shared, method)(*args, **kwargs)
        except Exception:  # any failure of the shared cache: connection, timeout, protocol
            logger.warning("The shared rate-limit cache is unreachable; counting locally.")
            return getattr(self.local, method)(*args, **kwargs)

    def get(self, key, default=None):
        return self._call("get", key, default)

    def set(self, key, value, timeout=None):
        return self._call("set", key, value, timeout)

    def count(self, key: str, timeout: int) -> int:
        """Add one to the counter `key` (created with `timeout` seconds to live); its new value."""

        def increment(cache) -> int:
            cache.add(key, 0, timeout=timeout)
            try:
                return cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=timeout)
                return 1

        try:
            counted = increment(self.shared)
        except Exception:
            counted = None
        if counted is None:  # an error, raised or (by a cache that hides them) answered as None
            logger.warning("The shared rate-limit cache is unreachable; counting locally.")
            counted = increment(self.local)
        return counted


limits_cache = FallbackCache()


def allow(key: str, limit: int, window_seconds: int) -> bool:
    """One more request under `key` (which should name the window); False once past `limit`."""
    return limits_cache.count(key, window_seconds) <= limit
