"""Browser tests: Debian's Chromium driven by Playwright's sync API against a live server.

Never downloads a browser. Without /usr/bin/chromium they are skipped locally, and fail in CI
(`CI=true`), where `.ci/run` installs Chromium first.
"""

import os
import shutil

import pytest

from tests.conftest import require
from tests.factories_pages import build_sample

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "mobile": {"width": 390, "height": 844}}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
        require(False, message)
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
    # itself are still synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def sample(transactional_db):
    return build_sample()


@pytest.fixture
def new_page(browser):
    """Open pages in fresh contexts; every console message is kept on `page.console`."""
    contexts = []

    def open_page(viewport: str = "desktop", **options):
        context = browser.new_context(viewport=VIEWPORTS[viewport], **options)
        contexts.append(context)
        page = context.new_page()
        page.console = []
        page.on("console", lambda message: page.console.append(message.text))
        return page

    yield open_page
    for context in contexts:
        context.close()
