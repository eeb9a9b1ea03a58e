"""The widget's frame takes its content's height at phone, tablet and desktop widths."""

import contextlib

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.conftest import FRAME_FITS, widget_frame
from tests.browser.harness import save_screenshot

MEASURES = """() => ({height: innerHeight, width: innerWidth,
  content: document.documentElement.getBoundingClientRect().height,
  scrollHeight: document.documentElement.scrollHeight,
  scrollWidth: document.documentElement.scrollWidth})"""


@pytest.mark.parametrize("width", [320, 768, 1280])
def test_the_frame_fits_the_widget_with_no_scrollbar_at_any_width(
        new_context, host_page, live_server, width):
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    page.goto(host_page.article(live_server))
    expect(page.frame_locator("iframe").locator("#amount-range")).to_be_visible()
    frame = widget_frame(page)
    with contextlib.suppress(PlaywrightError):  # the assertions below say how it does not fit
        frame.wait_for_function(FRAME_FITS, timeout=5_000)
    inside = frame.evaluate(MEASURES)
    assert abs(inside["height"] - inside["content"]) <= 1, inside
    assert inside["scrollHeight"] <= inside["height"], inside
    assert inside["scrollWidth"] <= inside["width"], inside
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    if width == 768:
        save_screenshot(page.locator("iframe"), "widget-slider")
