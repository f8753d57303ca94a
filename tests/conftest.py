"""Shared by every test: the network blocked, fast settings, the real SMTP server's fixtures
(`tests.smtp`), the example records (`sample`) with the clock pinned, and `require`, which skips a
test locally when a service is missing but fails it in CI, where every service is there."""

import ipaddress
import os
import socket

import pytest
import time_machine

from tests.factories_pages import NOW, build_sample

pytest_plugins = ["tests.smtp"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    """Skip the test locally when `condition` is false; fail it in CI, which has every service."""
    if not condition:
        if IN_CI:
            pytest.fail(f"CI must run this test: {reason}")
        pytest.skip(reason)


_real_connect = socket.socket.connect


def _loopback_only_connect(sock, address):
    """Tests never reach the network: only loopback addresses and Unix sockets are allowed."""
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            allowed = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = False
        if not allowed:
            raise OSError(f"Tests may not reach the network (tried {host})")
    return _real_connect(sock, address)


@pytest.fixture(autouse=True, scope="session")
def _block_network():
    socket.socket.connect = _loopback_only_connect
    yield
    socket.socket.connect = _real_connect


@pytest.fixture(autouse=True)
def _fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The API's rate limit (API_RATE) has its own tests; the rest of the suite is one busy client.
    settings.API_RATE = None


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with no request counted (the counts kept in memory outlive a test)."""
    from django.conf import settings
    from django.core.cache import caches

    from tracker.ops.rate_limits import limits_cache

    limits_cache.local.clear()
    limits = settings.CACHES.get("rate_limits", {})
    if limits.get("BACKEND", "").endswith("LocMemCache"):
        caches["rate_limits"].clear()


@pytest.fixture
def sample():
    """The example records of `tests.factories_pages.build_sample`, made and used with the clock
    pinned at `NOW` for the whole test."""
    with time_machine.travel(NOW, tick=False):
        yield build_sample()
