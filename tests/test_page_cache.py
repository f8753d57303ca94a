"""Whole public pages are cached for anonymous readers and dropped as soon as the data changes."""

import datetime

import pytest
import time_machine
from django.core.management import call_command

from tests.factories import StatusUpdateFactory, UserFactory
from tests.factories_pages import NOW
from tracker.data_version import bump_data_version
from tracker.models import Check, ImplementationStatus
from tracker.updates import publish_update

pytestmark = pytest.mark.django_db

CSP = "Content-Security-Policy"


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 600
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "test-page-cache",
        }
    }
    from django.core.cache import cache

    cache.clear()


def cache_status(response) -> str | None:
    return response.headers.get("X-Page-Cache")


@pytest.mark.parametrize(
    "path", ["/", "/recommendations/", "/reports/test-inquiry/1/", "/owners/", "/methodology/"]
)
def test_a_second_request_is_served_from_the_cache_without_queries(
    client, sample, django_assert_num_queries, path
):
    first = client.get(path)
    assert cache_status(first) == "miss"

    with django_assert_num_queries(0):
        second = client.get(path)

    assert second.status_code == 200
    assert cache_status(second) == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second[CSP] == first[CSP]
    assert "script-src 'self'" in second[CSP]
    assert second["X-Frame-Options"] == "DENY"


def test_publishing_an_update_makes_the_cached_pages_stale(
    client, sample, django_capture_on_commit_callbacks
):
    path = "/reports/test-inquiry/1/"
    client.get(path)
    client.get("/")
    assert cache_status(client.get(path)) == "hit"

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        draft = StatusUpdateFactory(
            recommendation=sample.overdue,
            describes_on=datetime.date(2026, 11, 20),
            status=ImplementationStatus.PARTIALLY_IMPLEMENTED,
            summary="An example board was appointed.",
        )
        assert cache_status(client.get(path)) == "hit", "a draft changes no public page"
        assert publish_update(draft)
    assert callbacks, "the version changes once the publication commits"

    for page in (path, "/"):
        response = client.get(page)
        assert cache_status(response) == "miss"
        assert "An example board was appointed." in response.content.decode()
    assert cache_status(client.get(path)) == "hit"


def test_the_overdue_job_makes_the_cached_pages_stale(
    client, sample, django_capture_on_commit_callbacks
):
    client.get("/")
    assert cache_status(client.get("/")) == "hit"

    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        call_command("flag_overdue")

    assert cache_status(client.get("/")) == "miss"


def test_recording_a_check_makes_the_cached_pages_stale(
    client, sample, django_capture_on_commit_callbacks
):
    """Pages say when each recommendation was last checked: a check is a change of data."""
    path = "/reports/test-inquiry/1/"
    client.get(path)
    assert cache_status(client.get(path)) == "hit"

    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        Check.objects.record_nothing_new([sample.overdue], by=None, on=NOW.date())

    response = client.get(path)
    assert cache_status(response) == "miss"
    assert "Last checked for new developments on 23 November 2026." in response.content.decode()


def test_as_of_pages_are_cached_apart_from_today(client, sample):
    today = client.get("/reports/test-inquiry/")
    then = client.get("/reports/test-inquiry/?as_of=2023-01-01")
    assert cache_status(then) == "miss"
    assert then.content != today.content

    assert client.get("/reports/test-inquiry/?as_of=2023-01-01").content == then.content
    assert client.get("/reports/test-inquiry/").content == today.content


def test_a_new_day_renders_afresh(client, sample):
    client.get("/")
    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        assert cache_status(client.get("/")) == "miss"


def test_logged_in_readers_are_never_served_or_stored_from_the_cache(
    client, sample, django_assert_max_num_queries
):
    client.get("/")
    assert cache_status(client.get("/")) == "hit"

    client.force_login(UserFactory(username="editor"))
    for _ in range(2):
        response = client.get("/")
        assert response.status_code == 200
        assert cache_status(response) is None
    assert cache_status(client.get("/owners/")) is None
    client.logout()
    client.cookies.clear()
    assert cache_status(client.get("/owners/")) == "miss"


def test_the_admin_and_forms_with_a_csrf_token_are_never_cached(client, sample):
    for path in ("/admin/login/", "/reports/test-inquiry/1/subscribe/"):
        for _ in range(2):
            client.cookies.clear()
            response = client.get(path)
            assert response.status_code == 200
            assert cache_status(response) is None


def test_posts_and_errors_are_not_cached(client, sample):
    assert client.get("/?as_of=not-a-date").status_code == 400
    assert cache_status(client.get("/?as_of=not-a-date")) is None
    assert cache_status(client.get("/reports/no-such-report/")) is None
    response = client.post("/reports/test-inquiry/1/subscribe/", {"email": "reader@example.org"})
    assert cache_status(response) is None


def test_downloads_are_not_cached(client, sample):
    for _ in range(2):
        response = client.get("/recommendations/?_export=csv")
        assert response.status_code == 200
        assert cache_status(response) is None


def test_nothing_is_cached_when_page_caching_is_off(client, sample, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client.get("/")
    assert cache_status(client.get("/")) is None


def test_a_page_read_again_comes_from_the_process_memory_under_the_current_version(
    client, sample, monkeypatch
):
    from tracker.public import page_cache

    shared = page_cache.cache
    client.get("/")
    assert cache_status(client.get("/")) == "hit"

    class OnlyTheVersion:
        def get(self, key, *args, **kwargs):
            assert key == page_cache.VERSION_KEY, "only the data version is read"
            return shared.get(key, *args, **kwargs)

    monkeypatch.setattr(page_cache, "cache", OnlyTheVersion())
    assert cache_status(client.get("/")) == "hit"
    monkeypatch.undo()

    bump_data_version()
    assert cache_status(client.get("/")) == "miss"


class Unreachable:
    """The cache as django-redis answers it while Redis is down (IGNORE_EXCEPTIONS)."""

    def get(self, *args, **kwargs):
        return None

    def get_many(self, *args, **kwargs):
        return {}

    def add(self, *args, **kwargs):
        return False

    def set(self, *args, **kwargs):
        return None


def test_with_the_shared_cache_unreachable_a_change_is_never_served_stale_from_memory(
    client, sample, monkeypatch, django_capture_on_commit_callbacks
):
    """The data version is kept in the database: a page kept in a process's memory is checked
    against it while the shared cache cannot be reached."""
    from tracker import data_version
    from tracker.public import page_cache

    client.get("/reports/test-inquiry/1/")
    assert cache_status(client.get("/reports/test-inquiry/1/")) == "hit"
    monkeypatch.setattr(page_cache, "cache", Unreachable())
    monkeypatch.setattr(data_version, "cache", Unreachable())
    with django_capture_on_commit_callbacks(execute=True):
        sample.overdue.title = "A title changed while the cache was unreachable"
        sample.overdue.save()

    response = client.get("/reports/test-inquiry/1/")

    assert cache_status(response) != "hit"
    assert "A title changed while the cache was unreachable" in response.content.decode()
