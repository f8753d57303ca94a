"""Fault test: an update published while Redis is unreachable appears on the public pages within
one page-cache lifetime of Redis returning, and no stale page is served after that.

The partition is simulated by pointing the cache at a port where nothing listens (the shared
Redis is never stopped: other test runs use it). Redis keeps what it held before the partition,
as a real one would: the old pages and the old version. The data version lives in the database,
so the change made during the partition is seen once Redis's short-lived copy expires.
Also: a stray session cookie does not get a reader around the cache.
"""

import os
import time
import uuid

import pytest
from django.core.cache import caches

from tests.factories import OwnershipFactory, RecommendationFactory, StatusUpdateFactory
from tracker.updates import publish_update

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL)"),
]

VERSION_SECONDS = 1


def redis_cache(location: str) -> dict:
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": location,
        "KEY_PREFIX": f"partition-test-{uuid.uuid4().hex}",
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": 0.3,
            "SOCKET_TIMEOUT": 0.3,
        },
    }


@pytest.fixture
def reachable(settings):
    settings.PAGE_CACHE_SECONDS = 600
    settings.PAGE_CACHE_VERSION_SECONDS = VERSION_SECONDS
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False
    config = redis_cache(os.environ["REDIS_URL"])
    settings.CACHES = {**settings.CACHES, "default": config}
    yield config
    caches["default"].clear()


def status_of(response) -> str | None:
    return response.headers.get("X-Page-Cache")


def test_an_update_published_during_a_redis_partition_shows_once_redis_returns(
    client, settings, reachable, django_capture_on_commit_callbacks
):
    recommendation = RecommendationFactory(title="Partition example")
    OwnershipFactory(recommendation=recommendation)
    path = recommendation.get_absolute_url()
    assert status_of(client.get(path)) == "miss"
    assert status_of(client.get(path)) == "hit"

    # The partition: the same settings, but Redis cannot be reached.
    settings.CACHES = {
        **settings.CACHES,
        "default": {**reachable, "LOCATION": "redis://127.0.0.1:1/0"},
    }
    draft = StatusUpdateFactory(
        recommendation=recommendation, summary="Published while the cache was away."
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert publish_update(draft)
    during = client.get(path)
    assert "Published while the cache was away." in during.content.decode()

    # Redis returns, still holding the old page and the old version.
    settings.CACHES = {**settings.CACHES, "default": reachable}
    deadline = time.monotonic() + settings.PAGE_CACHE_VERSION_SECONDS + 2
    while True:
        page = client.get(path).content.decode()
        if "Published while the cache was away." in page:
            break
        assert time.monotonic() < deadline, "a stale page outlived the change"
        time.sleep(0.2)
    # And from then on, never the stale page again.
    for _ in range(3):
        assert "Published while the cache was away." in client.get(path).content.decode()
        time.sleep(VERSION_SECONDS / 2)


def test_a_stray_session_cookie_does_not_get_around_the_cache(client, settings, reachable):
    recommendation = RecommendationFactory()
    path = recommendation.get_absolute_url()
    client.get(path)
    client.cookies[settings.SESSION_COOKIE_NAME] = "made-up-session-key"
    assert status_of(client.get(path)) == "hit"
