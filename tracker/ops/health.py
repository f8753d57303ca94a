"""`/healthz`: can this process reach its database, cache and broker? For load balancers.

Each check runs in its own thread with a short timeout, so a hung service gives a fast "failed"
rather than a hung probe. The answer names each part "ok" or "failed" and nothing else (no
addresses, versions or data), with 200 when all are ok and 503 otherwise; it is never cached.
"""

import logging
import secrets
from concurrent.futures import ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 1.5
# Threads outlive a hung check; a few spare ones keep later probes answering while one hangs.
_pool = ThreadPoolExecutor(max_workers=9, thread_name_prefix="healthz")


def check_database() -> None:
    """Open a connection of this thread's own, ask the server for 1, and close it again."""
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            if cursor.fetchone()[0] != 1:
                raise RuntimeError("the database answered SELECT 1 wrongly")
    finally:
        connection.close()


def check_cache() -> None:
    """Write a random value and read it back (the cache swallows errors, so compare the value)."""
    cache = caches["default"]
    key = f"healthz:{secrets.token_hex(8)}"
    value = secrets.token_hex(8)
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise RuntimeError("the cache did not return what was stored")
    cache.delete(key)


def check_broker() -> None:
    """Connect to the Celery broker (its URL as the settings give it now) and let go."""
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    broker = Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=CHECK_TIMEOUT_SECONDS,
        transport_options={
            **options,
            "socket_timeout": CHECK_TIMEOUT_SECONDS,
            "socket_connect_timeout": CHECK_TIMEOUT_SECONDS,
        },
    )
    with broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0)
        # Redis connects lazily: a channel's first command proves the server answers.
        channel = broker.default_channel
        client = getattr(channel, "client", None)
        if client is not None and hasattr(client, "ping"):
            client.ping()


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


def run_checks() -> dict[str, str]:
    """Run every check at once; each is "ok" or "failed" within CHECK_TIMEOUT_SECONDS or so."""
    futures = {name: _pool.submit(check) for name, check in CHECKS.items()}
    wait(futures.values(), timeout=CHECK_TIMEOUT_SECONDS)
    results = {}
    for name, future in futures.items():
        try:
            future.result(timeout=0)
        except FutureTimeout:
            logger.warning("Health check %s timed out after %s s", name, CHECK_TIMEOUT_SECONDS)
            results[name] = "failed"
        except Exception as error:
            logger.warning("Health check %s failed: %s: %s", name, type(error).__name__, error)
            results[name] = "failed"
        else:
            results[name] = "ok"
    return results


@never_cache
@require_safe
def healthz(request):
    results = run_checks()
    healthy = all(result == "ok" for result in results.values())
    return JsonResponse(results, status=200 if healthy else 503)
