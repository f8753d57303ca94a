"""Four readers, four tasks, each told as a story in Debian's Chromium over the shipped reports.

- A survivor on a phone finds redress from the search box, reads its status, and leaves with
  Shift pressed three times; Back does not bring the page back.
- A journalist searches "grooming", lists the Casey audit's late items with their owners, and
  downloads them as a CSV that a spreadsheet reads (byte-order mark, a due-date column).
- A researcher sorts the owners by any column.
- A charity finds "Get e-mail updates" on a recommendation, subscribes, confirms from the
  e-mail it receives (a real SMTP server), and embeds the badge.
"""

import csv
import datetime
import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from config.celery import app

EXIT_URL = "https://www.bbc.co.uk/weather"
NEUTRAL_PAGE = "<!doctype html><html lang='en'><title>Weather</title><h1>Weather</h1></html>"


@pytest.fixture
def shipped(transactional_db):
    """The shipped reports, loaded as a deployment loads them."""
    call_command("load_reports", stdout=io.StringIO())


def offline_exit(page):
    """The exit leads to a neutral outside page; here it is answered without the network."""
    page.context.route(
        "https://www.bbc.co.uk/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE),
    )


def test_survivor_on_a_phone_finds_redress_reads_its_status_and_leaves(
    live_server, shipped, new_page
):
    page = new_page("mobile")
    offline_exit(page)
    page.goto(live_server.url + "/")

    # The exit is the first thing after the skip link, and stays on screen while reading.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Exit this page")).to_be_focused()

    page.get_by_label("Search this site").fill("redress")
    page.get_by_label("Search this site").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search results for “redress”")
    page.get_by_role("link", name=re.compile(r"A national redress scheme")).first.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("A national redress scheme")
    status = page.locator(".summary-list--headline dt", has_text="Status").locator("xpath=..")
    expect(status.locator("dd .tag")).to_be_visible()
    expect(status.locator("dd")).to_contain_text("as described on")
    page.mouse.wheel(0, 3000)
    expect(page.get_by_role("link", name="Exit this page")).to_be_in_viewport()
    recommendation_url = page.url

    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.wait_for_url(EXIT_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Weather")

    page.go_back()
    page.wait_for_url(EXIT_URL)
    assert page.url != recommendation_url
    assert urlsplit(page.url).netloc == "www.bbc.co.uk"


def test_the_exit_button_leaves_without_a_history_entry(live_server, shipped, new_page):
    page = new_page("desktop")
    offline_exit(page)
    page.goto(live_server.url + "/methodology/")
    page.goto(live_server.url + "/reports/")

    page.get_by_role("link", name="Exit this page").click()
    page.wait_for_url(EXIT_URL)

    # The reports page was replaced, not left behind; the page before it leaves again too.
    assert page.evaluate("history.length") == 3  # about:blank, /methodology/, the exit
    page.go_back()
    page.wait_for_url(EXIT_URL)


def test_journalist_lists_the_late_casey_items_with_owners_and_downloads_a_csv(
    live_server, shipped, new_page
):
    page = new_page("desktop", accept_downloads=True)
    page.goto(live_server.url + "/")

    page.get_by_label("Search this site").fill("grooming")
    page.get_by_role("button", name="Search", exact=True).click()
    reports = page.get_by_role("region", name="Reports")
    expect(reports).to_contain_text("Also known as: grooming gangs audit")
    reports.get_by_role("link", name=re.compile("National Audit on Group-based")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "National Audit on Group-based Child Sexual Exploitation and Abuse"
    )

    page.get_by_role("link", name="All recommendations").click()
    page.get_by_label("Report", exact=True).select_option("casey-audit")
    page.get_by_label("Overdue (past a deadline or missed)").select_option("yes")
    page.get_by_role("button", name="Apply filters").click()
    rows = page.locator("tbody tr")
    late = rows.count()
    assert late >= 1
    for index in range(late):
        row = rows.nth(index)
        expect(row.locator('td[data-label="Report"]')).to_have_text("Casey audit")
        expect(row.locator('td[data-label="Deadline"]')).to_contain_text(
            re.compile(r"^(Past due with no report of delivery|Missed): due")
        )
        expect(row.locator('td[data-label="Lead owner"] a')).not_to_have_text("")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename == (
        f"recommendations-casey-audit-overdue-as-of-{timezone.localdate().isoformat()}.csv"
    )
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(table) == late
    for row in table:
        assert row["Report"] == "Casey audit"
        assert row["Deadline state"] in {"Past due with no report of delivery", "Missed"}
        assert datetime.date.fromisoformat(row["Due date"]) < timezone.localdate()
        assert int(row["Days late"]) > 0
        assert row["Lead owner"]


def test_researcher_sorts_the_owners(live_server, shipped, new_page):
    page = new_page("desktop")
    page.goto(live_server.url + "/owners/")

    def names() -> list[str]:
        return page.locator("tbody th[scope=row]").all_inner_texts()

    page.get_by_role("link", name=re.compile(r"^Organisation")).click()
    expect(page.locator('th[aria-sort="ascending"]')).to_contain_text("Organisation")
    expect(page.locator(".sort-indicator")).to_have_text("▲")
    assert names() == sorted(names(), key=str.casefold)

    page.get_by_role("link", name=re.compile(r"^Organisation")).click()
    expect(page.locator(".sort-indicator")).to_have_text("▼")
    assert names() == sorted(names(), key=str.casefold, reverse=True)

    page.get_by_role("link", name=re.compile(r"^Owned")).click()
    expect(page.locator('th[aria-sort="descending"]')).to_contain_text("Owned")
    owned = [
        int(text.split()[0]) for text in page.locator('td[data-label="Owned"]').all_inner_texts()
    ]
    assert owned == sorted(owned, reverse=True)


@pytest.fixture
def tasks_run_at_once():
    """The confirmation e-mail is sent by a Celery task: here it runs in the web process (a real
    worker over Redis is proven in test_worker.py)."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_charity_subscribes_from_a_recommendation_confirms_by_email_and_embeds_the_badge(
    live_server, shipped, new_page, smtp_server, tasks_run_at_once, settings
):
    settings.SITE_URL = live_server.url
    page = new_page("desktop")
    page.goto(live_server.url + "/reports/iicsa/")
    page.get_by_role("link", name=re.compile(r"Mandatory reporting")).first.click()
    recommendation_url = page.url

    page.get_by_role("link", name=re.compile("^Get e-mail updates")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Get e-mail updates")
    page.get_by_role("button", name="Send me a link to confirm").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    page.get_by_label("Your e-mail address").fill("updates@charity.example")
    page.get_by_role("button", name="Send me a link to confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")

    (message,) = smtp_server.wait_for(1)
    assert message.recipients == ["updates@charity.example"]
    confirm = next(url for url in re.findall(r"https?://\S+", message.text) if "/confirm/" in url)
    page.goto(confirm)
    page.get_by_role("button", name="Confirm subscription").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Subscription confirmed")
    page.get_by_role("link", name=re.compile("^Back to")).click()
    assert page.url == recommendation_url

    code = page.get_by_label("Code to copy").input_value()
    badge_src = re.search(r'<img src="([^"]+)"', code).group(1)
    alt = re.search(r'alt="([^"]+)"', code).group(1)
    assert re.search(r"Status of IICSA recommendation \d+: [A-Z][a-z ]+, as described on ", alt)
    response = page.request.get(badge_src)
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    badge = page.get_by_role("img", name=re.compile(r"^Status badge for IICSA recommendation"))
    expect(badge).to_be_visible()
