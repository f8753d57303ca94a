"""Public pages take the query parameters they declare; others never make a cached variant."""

import pytest
from django.core.cache import cache

from tracker.public.page_cache import page_key

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 600
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "test-query-params",
        }
    }
    cache.clear()


def cached(rf, url: str) -> bool:
    return cache.get(page_key(rf.get(url))) is not None


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("/?utm_source=x", "/"),
        (
            "/recommendations/?utm_medium=email&overdue=yes&fbclid=abc",
            "/recommendations/?overdue=yes",
        ),
        ("/owners/?gclid=1&sort=organisation", "/owners/?sort=organisation"),
        ("/methodology/?utm_campaign=launch", "/methodology/"),
    ],
)
def test_campaign_tags_redirect_to_the_page_without_them_and_are_not_cached(
    client, rf, sample, url, canonical
):
    response = client.get(url)

    assert response.status_code == 301
    assert response["Location"] == canonical
    assert not cached(rf, url)
    assert client.get(canonical).status_code == 200


@pytest.mark.parametrize(
    ("url", "unknown"),
    [
        ("/recommendations/?bogus=1", "bogus"),
        ("/?page=2", "page"),
        ("/reports/test-inquiry/?x=1&as_of=2026-01-01", "x"),
        ("/reports/test-inquiry/1/?nonce=7", "nonce"),
        ("/owners/?standing=1", "standing"),
        ("/changes/?days=3", "days"),
        ("/compare/?zzz=1", "zzz"),
        ("/data/?a=1", "a"),
        ("/search/?q=board&b=1", "b"),
        ("/sources/?v=2", "v"),
    ],
)
def test_an_unknown_parameter_gets_a_400_naming_it_and_is_not_cached(
    client, rf, sample, url, unknown
):
    response = client.get(url)

    assert response.status_code == 400
    assert f"Unknown query parameter: {unknown}." in response.content.decode()
    assert not cached(rf, url)
    assert not cache.get(page_key(rf.get(url.split("?")[0]))), "nothing stored for the page"


@pytest.mark.parametrize(
    "url",
    [
        "/?as_of=2026-01-01",
        "/recommendations/?overdue=yes&sort=number&page=1&per_page=10",
        "/owners/?sort=-organisation",
        "/changes/?view=recorded",
        "/compare/?from=2026-01-01",
        "/search/?q=board",
    ],
)
def test_the_parameters_a_page_takes_still_work(client, sample, url):
    assert client.get(url).status_code == 200
