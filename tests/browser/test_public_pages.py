"""Real Chromium over the public pages: accessibility (axe-core), keyboard, CSP, no-JS journeys."""

import csv
import io
import re
from unittest import mock

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import OperationalError
from playwright.sync_api import expect

from tests.factories_pages import build_reports

PAGE_TYPES = [
    "/",
    "/?as_of=2025-06-16",
    "/recommendations/",
    "/recommendations/?overdue=yes",
    "/reports/",
    "/reports/test-inquiry/",
    "/reports/test-inquiry/1/",
    "/reports/test-inquiry/2/",
    "/owners/",
    "/owners/example-lead/",
    "/changes/?since=2025-01-01",
    "/data/",
    "/methodology/",
    "/?as_of=not-a-date",
    "/search/?q=example",
    "/search/?q=zzzunfound",
    "/search/?q=" + "x" * 201,
    "/owners/?sort=-overdue",
    "/reports/test-inquiry/1/subscribe/",
    "/no-such-page/",
]
WCAG_22_AA = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"],
    },
    "resultTypes": ["violations"],
}


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
    )


def test_axe_reports_a_known_violation(browser, new_page):
    """The accessibility check can fail: an image without alternative text is reported."""
    page = new_page()
    page.set_content(
        '<!doctype html><html lang="en"><title>t</title><main><img src="x.png"></main>'
    )

    violations = Axe().run(page, options=WCAG_22_AA).response["violations"]

    assert "image-alt" in {v["id"] for v in violations}


@pytest.mark.parametrize("viewport", ["desktop", "mobile"])
def test_axe_finds_no_wcag_violations_on_any_page_type(live_server, sample, new_page, viewport):
    # axe is injected into the page, which the strict CSP would rightly refuse; the policy
    # itself is proven by the next test.
    page = new_page(viewport, bypass_csp=True)
    axe = Axe()
    failures = {}
    for path in PAGE_TYPES:
        page.goto(live_server.url + path)
        violations = axe.run(page, options=WCAG_22_AA).response["violations"]
        if violations:
            failures[path] = describe(violations)

    assert failures == {}


@pytest.mark.parametrize("viewport", ["desktop", "mobile"])
@pytest.mark.parametrize(
    ("error", "status"), [(RuntimeError("broken"), 500), (OperationalError("down"), 503)]
)
def test_axe_finds_no_wcag_violations_on_the_500_and_503_pages(
    live_server, sample, new_page, viewport, error, status
):
    page = new_page(viewport, bypass_csp=True)
    with mock.patch("tracker.public.sources.render", side_effect=error):
        response = page.goto(live_server.url + "/methodology/")

    assert response.status == status
    expect(page.get_by_role("link", name="Exit this page")).to_be_visible()
    expect(page.get_by_role("search")).to_be_visible()
    violations = Axe().run(page, options=WCAG_22_AA).response["violations"]
    assert violations == [], describe(violations)


def test_tables_fit_and_tap_targets_are_big_enough(live_server, sample, new_page):
    """At 1280 px no table scrolls sideways; at tablet width rows stack with their labels and
    the sort links are gone; every navigation link is at least 24 px tall (WCAG 2.5.8)."""
    page = new_page("desktop")
    for path in ["/reports/", "/recommendations/", "/owners/", "/owners/example-lead/"]:
        page.goto(live_server.url + path)
        for container in page.locator(".table-container").all():
            fits = container.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
            assert fits, path
    heights = page.locator(".site-nav a").evaluate_all(
        "links => links.map(a => a.getBoundingClientRect().height)"
    )
    assert min(heights) >= 24

    tablet = new_page("desktop")
    tablet.set_viewport_size({"width": 768, "height": 1024})
    tablet.goto(live_server.url + "/recommendations/")
    expect(tablet.locator("thead").first).to_be_hidden()
    expect(tablet.locator('td[data-label="Status"]').first).to_be_visible()
    assert (
        tablet.locator("thead a").evaluate_all(
            "links => links.filter(a => a.offsetParent !== null).length"
        )
        == 0
    )


def test_axe_finds_no_wcag_violations_on_the_overview_of_many_reports(
    live_server, transactional_db, new_page
):
    """With more reports than scorecards the dashboard shows totals and links to every report."""
    build_reports(15)
    page = new_page(bypass_csp=True)
    failures = {}
    for path in ["/", "/reports/"]:
        page.goto(live_server.url + path)
        violations = Axe().run(page, options=WCAG_22_AA).response["violations"]
        if violations:
            failures[path] = describe(violations)

    assert page.get_by_role("row").count() == 15 + 2  # the header, 15 reports and the totals
    assert failures == {}


def test_pages_work_under_the_enforced_csp_without_violations(live_server, sample, new_page):
    page = new_page()
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    for path in PAGE_TYPES:
        response = page.goto(live_server.url + path)
        assert "default-src 'self'" in response.headers["content-security-policy"]
        # The stylesheet loaded and applied: the skip link is moved off screen by it.
        assert page.evaluate("getComputedStyle(document.querySelector('.skip-link')).position") == (
            "absolute"
        )

    assert violations == []


def test_csp_violations_are_seen_on_the_console(live_server, new_page):
    """The check above can fail: an inline script under the same policy is reported."""
    page = new_page()
    messages = []
    page.on("console", lambda m: messages.append(m.text))
    page.route(
        live_server.url + "/csp-probe",
        lambda route: route.fulfill(
            body="<!doctype html><title>probe</title><script>console.log('ran')</script>",
            headers={"Content-Type": "text/html", "Content-Security-Policy": "script-src 'self'"},
        ),
    )
    page.goto(live_server.url + "/csp-probe")

    assert "ran" not in messages
    assert any("Content Security Policy" in message for message in messages)


def test_keyboard_skip_link_and_visible_focus(live_server, sample, new_page):
    page = new_page()
    page.goto(live_server.url + "/recommendations/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.keyboard.press("Tab")
    focused_outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focused_outline == "solid"


def test_exit_this_page_is_a_plain_link_on_every_page_without_javascript(
    live_server, sample, new_page
):
    page = new_page("mobile", java_script_enabled=False)
    for path in ["/", "/reports/test-inquiry/1/", "/methodology/"]:
        page.goto(live_server.url + path)
        leave = page.get_by_role("link", name="Exit this page")
        expect(leave).to_be_visible()
        expect(leave).to_have_attribute("href", "https://www.bbc.co.uk/weather")


@pytest.mark.parametrize("viewport", ["desktop", "mobile"])
def test_journey_dashboard_filter_recommendation_and_download(
    live_server, sample, new_page, viewport
):
    page = new_page(viewport, java_script_enabled=False, accept_downloads=True)
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Inquiry recommendations: what has been done"
    )

    page.get_by_role("link", name="All recommendations").click()
    page.get_by_label("Overdue (past a deadline or missed)").select_option("yes")
    page.get_by_label("Owner", exact=True).select_option("example-lead")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(
        live_server.url
        + "/recommendations/?report=&owner=example-lead&status=&response=&late=&overdue=yes"
        + "&response_late=&account=&disputed=&q="
    )
    expect(page.locator("tbody tr")).to_have_count(1)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    download = download_info.value
    with open(download.path(), encoding="utf-8-sig") as downloaded:
        rows = list(csv.DictReader(io.StringIO(downloaded.read())))
    assert [row["Recommendation"] for row in rows] == ["Create an example authority"]

    page.get_by_role("link", name="Create an example authority").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Recommendation 1: Create an example authority"
    )
    expect(page.get_by_text("This is a summary, not the official wording")).to_be_visible()


def test_sorting_and_as_of_work_without_javascript(live_server, sample, new_page):
    page = new_page(java_script_enabled=False)
    page.goto(live_server.url + "/recommendations/?as_of=2025-04-15")
    expect(
        page.get_by_text("You are looking at this page as it stood on 15 April 2025.")
    ).to_be_visible()

    page.get_by_role("link", name=re.compile(r"^Status\s+\(sort ascending\)$")).click()
    expect(page).to_have_url(live_server.url + "/recommendations/?as_of=2025-04-15&sort=status")
    expect(page.locator("tbody tr")).to_have_count(2)
