"""The reader's side in real Chromium: one browser per run, a fresh context per test.

`host_page` is a publisher's site on http://localhost:PORT; `live_server` serves the app on
127.0.0.1, and the app lets the publisher's origin frame the widget. Where Chromium is missing
every test here is skipped, and the summary says why in one line (as does the run's header).
"""

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect, sync_playwright
from sqlalchemy import select

from donate.extensions import db
from donate.ledger.models import Donation
from tests.browser.harness import HostSite, chromium_missing, launch_chromium

TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)

#: Every text the #status line shows, in order, kept in `window.statusLog` of each page and
#: frame: some states (Validating...) last only as long as one status request.
STATUS_LOG = """
(() => {
  const log = [];
  Object.defineProperty(window, "statusLog", { value: log });
  document.addEventListener("DOMContentLoaded", () => {
    const status = document.getElementById("status");
    if (!status) return;
    const note = () => {
      const text = status.textContent.trim();
      if (text && log[log.length - 1] !== text) log.push(text);
    };
    note();
    new MutationObserver(note)
      .observe(status, { childList: true, characterData: true, subtree: true });
  });
})();
"""


@pytest.fixture(scope="session")
def browser() -> Browser:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def pytest_runtest_setup(item) -> None:
    """Skip here rather than in the `browser` fixture: a skip from a fixture is reported at
    each test, one from this hook at this line, so the summary says it once."""
    if reason := chromium_missing():
        pytest.skip(reason)


@pytest.fixture(scope="session")
def host_page() -> HostSite:
    site = HostSite()
    yield site
    site.close()


@pytest.fixture
def app_overrides(host_page) -> dict:
    # One address sends every request here: the donation rate limit would stop the suite.
    return {"ALLOWED_EMBED_ORIGINS": [host_page.origin], "RATELIMIT_ENABLED": False}


@pytest.fixture
def new_context(browser):
    """Make browser contexts (options as Browser.new_context); all are closed after the test."""
    contexts: list[BrowserContext] = []

    def make(**options) -> BrowserContext:
        context = browser.new_context(**{"viewport": {"width": 800, "height": 900}, **options})
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(STATUS_LOG)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def context(new_context) -> BrowserContext:
    return new_context()


@pytest.fixture
def page(context) -> Page:
    return context.new_page()


#: Inside the widget's frame: the frame is as tall as the page, and nothing overflows it.
FRAME_FITS = """() => {
  const root = document.documentElement;
  return Math.abs(innerHeight - Math.ceil(root.getBoundingClientRect().height)) <= 1
    && root.scrollHeight <= innerHeight && root.scrollWidth <= innerWidth;
}"""


def widget_frame(page: Page) -> Frame:
    """The widget's frame on an article page (the only iframe there)."""
    return page.locator("iframe").element_handle().content_frame()


def latest_donation() -> Donation:
    """The newest donation row, as the server wrote it."""
    db.session.rollback()  # a fresh snapshot: the server wrote on its own connection
    return db.session.scalars(select(Donation).order_by(Donation.id.desc())).first()
