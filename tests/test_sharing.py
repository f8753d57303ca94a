"""Shared links show a description and a preview; browsers find the favicon and the feeds."""

import pytest
import time_machine

from tests.factories_pages import NOW, build_sample
from tracker.models import Recommendation


@pytest.fixture
def sample(db):
    with time_machine.travel(NOW, tick=False):
        yield build_sample()


def test_every_page_has_a_description_open_graph_a_favicon_and_the_site_feed(client, sample):
    for path in ["/", "/reports/", "/owners/", "/methodology/", "/search/?q=example"]:
        html = client.get(path).content.decode()
        assert '<meta name="description" content="What public inquiries' in html, path
        assert '<meta property="og:title"' in html
        assert (
            '<meta property="og:image" content="http://127.0.0.1:8000/static/tracker/share.png">'
            in html
        )
        assert '<link rel="icon" href="/static/tracker/favicon.svg" type="image/svg+xml">' in html
        assert 'type="application/atom+xml" href="http://127.0.0.1:8000/updates.atom"' in html


def test_a_recommendation_is_described_by_its_title_and_status_with_its_own_feed(client, sample):
    Recommendation.objects.filter(pk=sample.overdue.pk).update(
        plain_summary="Set up an example authority for children."
    )

    html = client.get("/reports/test-inquiry/1/").content.decode()

    assert (
        '<meta property="og:title" content="Test recommendation 1: Create an example authority">'
        in html
    )
    assert (
        '<meta name="description" content="Set up an example authority for children. '
        'Status: in progress.">'
    ) in html
    assert 'href="http://127.0.0.1:8000/reports/test-inquiry/1/updates.atom"' in html
    assert (
        '<p class="lead plain-summary"><span class="visually-hidden">In short: </span>'
        "Set up an example authority for children.</p>"
    ) in html


def test_a_report_page_links_its_own_feed(client, sample):
    html = client.get("/reports/test-inquiry/").content.decode()

    assert 'href="http://127.0.0.1:8000/reports/test-inquiry/updates.atom"' in html
    assert '<meta property="og:title" content="Test inquiry: final report">' in html
