"""The API's rate limit: API_RATE requests per client address (for example 120/minute).

The rate is read from the settings on each request, so it can be changed without a restart of
the class; an empty API_RATE turns the limit off. Past the limit the API answers 429 with a
Retry-After header.
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle


class ApiRateThrottle(AnonRateThrottle):
    scope = "api"

    def get_rate(self) -> str | None:
        return settings.API_RATE
