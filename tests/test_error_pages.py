"""400, 404, 500 and 503 pages: the site's layout (exit, navigation, search, support), no debug."""

from unittest import mock

import pytest
from django.db import OperationalError

EXIT = '<a class="exit-this-page__button" href="https://www.bbc.co.uk/weather"'


def assert_in_site_layout(html: str) -> None:
    assert EXIT in html
    assert 'src="/static/tracker/exit-this-page.js"' in html
    assert '<nav class="site-nav" aria-label="Main">' in html
    assert 'role="search"' in html
    assert "https://napac.org.uk" in html
    assert "Traceback" not in html
    assert "DEBUG" not in html


@pytest.fixture
def failing_client(client):
    client.raise_request_exception = False
    return client


def test_page_not_found(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert_in_site_layout(html)
    assert "<h1>Page not found</h1>" in html
    assert 'href="/recommendations/"' in html


def test_a_missing_report_is_the_same_404(client, db):
    response = client.get("/reports/no-such-report/")

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.content.decode()


def test_server_error(failing_client, db):
    with mock.patch("tracker.public.sources.render", side_effect=RuntimeError("secret detail")):
        response = failing_client.get("/methodology/")

    assert response.status_code == 500
    html = response.content.decode()
    assert_in_site_layout(html)
    assert "Sorry, there is a problem with this page" in html
    assert "secret detail" not in html


def test_database_down_is_503_in_the_layout(failing_client, db):
    with mock.patch("tracker.public.sources.render", side_effect=OperationalError("db down")):
        response = failing_client.get("/methodology/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert_in_site_layout(html)
    assert "This page is briefly unavailable" in html


def test_bad_request(failing_client, db):
    response = failing_client.get("/", HTTP_HOST="not-allowed.example")

    assert response.status_code == 400
    html = response.content.decode()
    assert_in_site_layout(html)
    assert "Check the address" in html


def test_a_bad_date_is_a_400_in_the_layout(client, db):
    response = client.get("/", {"as_of": "not-a-date"})

    assert response.status_code == 400
    assert_in_site_layout(response.content.decode())
