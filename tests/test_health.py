"""`/healthz` for load balancers: database, cache and broker reachability, answered fast.

"Down" is simulated by pointing the cache or the broker at a closed port (or at a socket that
accepts connections and never answers), so nothing shared is ever stopped. The checks against the
real Redis need REDIS_URL: skipped locally without it, failed in CI.
"""

import json
import os
import socket
import time

import pytest

from tests.conftest import IN_CI
from tests.smtp import free_port

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("REDIS_URL", "")


def require_redis() -> None:
    if not REDIS_URL:
        if IN_CI:
            pytest.fail("CI must run this test: set REDIS_URL")
        pytest.skip("REDIS_URL is not set")


def redis_cache(url: str) -> dict:
    """The production cache settings (errors ignored), at the given address."""
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "tracker-healthz-test",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }


@pytest.fixture
def silent_server():
    """A loopback port that accepts connections and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


def healthz(client):
    started = time.monotonic()
    response = client.get("/healthz")
    return response, time.monotonic() - started


def test_all_ok_answers_200_with_each_part_named_and_is_never_cached(client):
    response, _ = healthz(client)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"database": "ok", "cache": "ok", "broker": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_the_real_redis_as_cache_and_broker_is_reported_ok(client, settings):
    require_redis()
    settings.CACHES = redis_cache(REDIS_URL)
    settings.CELERY_BROKER_URL = REDIS_URL

    response, _ = healthz(client)

    assert response.status_code == 200
    assert json.loads(response.content) == {"database": "ok", "cache": "ok", "broker": "ok"}


def test_a_cache_on_a_closed_port_gives_503_naming_the_cache(client, settings):
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{free_port()}/0")

    response, elapsed = healthz(client)

    assert response.status_code == 503
    assert json.loads(response.content) == {"database": "ok", "cache": "failed", "broker": "ok"}
    assert elapsed < 2.5


def test_a_broker_on_a_closed_port_gives_503_naming_the_broker(client, settings):
    settings.CELERY_BROKER_URL = f"redis://:s3cret-password@127.0.0.1:{free_port()}/0"

    response, elapsed = healthz(client)

    assert response.status_code == 503
    assert json.loads(response.content) == {"database": "ok", "cache": "ok", "broker": "failed"}
    assert b"s3cret" not in response.content
    assert b"127.0.0.1" not in response.content
    assert elapsed < 2.5


def test_services_that_hang_get_a_fast_503_not_a_hung_probe(client, settings, silent_server):
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{silent_server}/0")
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent_server}/0"

    response, elapsed = healthz(client)

    assert response.status_code == 503
    assert json.loads(response.content) == {
        "database": "ok",
        "cache": "failed",
        "broker": "failed",
    }
    assert elapsed < 2.5


def test_only_get_and_head_are_answered(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_plain_http_probes_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 301
