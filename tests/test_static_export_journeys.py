"""The static export keeps the public journeys: the exit button, and links to the live site
for searching and for e-mail updates (a file server cannot answer either)."""

import io

import time_machine
from django.core.management import call_command

from tests.factories_pages import NOW, build_sample


def test_the_static_export_exits_and_points_to_the_live_site(db, tmp_path, settings):
    settings.PUBLISH_DIR = tmp_path / "site"
    settings.SITE_URL = "https://tracker.example.org"
    settings.ALLOWED_HOSTS = ["tracker.example.org", "testserver"]
    with time_machine.travel(NOW, tick=False):
        build_sample()
        call_command("build_site", "--out", str(tmp_path / "site"), stdout=io.StringIO())

    site = tmp_path / "site"
    recommendation = (site / "reports/test-inquiry/1/index.html").read_text()
    assert 'class="exit-this-page__button" href="https://www.bbc.co.uk/weather"' in recommendation
    assert (site / "static/tracker/exit-this-page.js").is_file()
    assert 'href="https://tracker.example.org/reports/test-inquiry/1/subscribe/"' in recommendation
    assert ">Get e-mail updates<" in recommendation
    assert 'action="https://tracker.example.org/search/"' in recommendation
    report = (site / "reports/test-inquiry/index.html").read_text()
    assert 'href="https://tracker.example.org/reports/test-inquiry/subscribe/"' in report
    owner = (site / "owners/example-lead/index.html").read_text()
    assert 'href="https://tracker.example.org/owners/example-lead/subscribe/"' in owner
    data = (site / "data/index.html").read_text()
    assert 'href="https://tracker.example.org/reports/test-inquiry/subscribe/"' in data
