"""The API's rate limit: API_RATE requests per client address (for example 120/minute).

The rate is read from the settings on each request, so it can be changed without a restart of
the class; an empty API_RATE turns the limit off. Past the limit the API answers 429 with a
Retry-After header. Counts live in the shared cache, or in each process's memory while Redis is
down (tracker/ops/rate_limits.py).
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle

from tracker.ops.rate_limits import limits_cache


class ApiRateThrottle(AnonRateThrottle):
    scope = "api"
    # The shared cache, or this process's memory while it is down: never "no limit".
    cache = limits_cache

    def get_rate(self) -> str | None:
        return settings.API_RATE
