"""No lead reaches the public without an editor: the security sweep of every public route and of
the published static copy, run again with a waiting lead, a dismissed one and a failing feed."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories_leads import LeadFactory, LeadMatchFactory, WatchedFeedFactory
from tests.test_security_access import (  # noqa: F401 - fixtures
    assert_nothing_private,
    leaked,
    readable,
    unthrottled,
    world,
)

pytestmark = pytest.mark.django_db

LEAD_TITLE = "Zq7 fictional lead waiting for an editor"
LEAD_LINK = "https://www.example.org/zq7-lead-link"
DISMISSED_TITLE = "Zq7 fictional dismissed lead"
FEED_NAME = "Zq7 fictional watched feed"
FEED_ERROR = "Zq7 fictional feed failure"
LEAD_MARKERS = (LEAD_TITLE, LEAD_LINK, DISMISSED_TITLE, FEED_NAME, FEED_ERROR, "zq7 matched term")


@pytest.fixture
def leads(world):  # noqa: F811
    feed = WatchedFeedFactory(name=FEED_NAME, failure_count=2, last_error=FEED_ERROR)
    waiting = LeadFactory(feed=feed, title=LEAD_TITLE, link=LEAD_LINK)
    LeadMatchFactory(lead=waiting, recommendation=world.other, matched_terms="zq7 matched term")
    dismissed = LeadFactory(
        feed=feed,
        title=DISMISSED_TITLE,
        state="dismissed",
        dismissal_reason="not_relevant",
        reviewed_at=waiting.published_at,
    )
    LeadMatchFactory(lead=dismissed, recommendation=world.own)
    return world


def test_no_public_route_shows_a_lead_or_a_watched_feed(client, leads, unthrottled):  # noqa: F811
    assert assert_nothing_private(client, leads, markers=LEAD_MARKERS) > 40


def test_the_published_static_copy_holds_no_lead(leads, tmp_path):
    site = tmp_path / "site"
    call_command("build_site", "--out", str(site), stdout=io.StringIO())
    files = [path for path in Path(site).resolve().rglob("*") if path.is_file()]
    assert len(files) > 20
    found = {p.name: leaked(readable(p.read_bytes()), LEAD_MARKERS) for p in files}
    assert {name: markers for name, markers in found.items() if markers} == {}
