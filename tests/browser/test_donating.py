"""Donating from a publisher's article in Chromium: by mouse, by keyboard, declined, cancelled,
quick, and with JavaScript off."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import FRAME_FITS, latest_donation, widget_frame
from tests.browser.harness import save_screenshot

THANKS_EUR_50 = "Thank you! Your donation of €50.00 was received."


def wait_for_a_status_check(page) -> None:
    """Return right after the widget asked for the donation's status: the next check is 2 s
    away, so what happens now reaches the widget by the thank-you page's message."""
    with page.expect_response(re.compile(r"/donations/[\w-]+/status$")):
        pass


def test_a_reader_donates_with_the_mouse_from_a_publishers_article(page, host_page, live_server):
    article = host_page.article(live_server)
    page.goto(article)
    widget = page.frame_locator("iframe")
    amount, slider = widget.locator("#amount"), widget.locator("#amount-range")
    expect(slider).to_be_visible()

    box = slider.bounding_box()
    slider.click(position={"x": box["width"] * 0.8, "y": box["height"] / 2})
    expect(amount).not_to_have_value("25")
    expect(amount).to_have_value(slider.input_value())
    amount.fill("30")
    expect(slider).to_have_value("30")
    expect(widget.locator("#total")).to_have_text("Total: $30.00")
    widget.get_by_role("button", name="$50").click()
    expect(amount).to_have_value("50")
    expect(widget.get_by_role("button", name="$50")).to_have_attribute("aria-pressed", "true")

    widget.get_by_text("EUR €").click()
    expect(widget.locator("#amount-label")).to_have_text("Amount to donate in EUR€")
    widget.get_by_text("Monthly").click()
    expect(widget.locator("#total")).to_have_text("Total: €50.00 per month")
    widget.get_by_text("Once").click()
    expect(widget.locator("#total")).to_have_text("Total: €50.00")

    with page.context.expect_page() as opened:
        widget.get_by_role("button", name="Donate").click()
    checkout = opened.value
    status = widget.get_by_role("status")
    expect(status).to_have_text("Waiting for payment...")
    expect(checkout.get_by_role("heading", level=1)).to_have_text(
        "Sandbox checkout — no real money moves")
    save_screenshot(page.locator("iframe"), "checkout-waiting")
    save_screenshot(checkout.locator("main"), "sandbox-checkout")

    wait_for_a_status_check(page)
    checkout.get_by_role("button", name="Pay €50.00").click()
    expect(checkout.get_by_role("status")).to_have_text(THANKS_EUR_50)
    expect(status).to_have_text(THANKS_EUR_50)
    save_screenshot(page.locator("iframe"), "checkout-thanks")
    shown = status.evaluate("() => window.statusLog")
    assert shown == ["Opening the checkout...", "Waiting for payment...",
                     "Validating payment information...", THANKS_EUR_50]

    donation = latest_donation()
    assert (donation.status, donation.amount_minor, donation.currency) == ("completed", 5000, "EUR")
    assert (donation.frequency, donation.source) == ("once", article)


def tab_to(page, target, most: int = 40) -> None:
    """Press Tab until `target` has the keyboard focus."""
    for _ in range(most):
        if target.evaluate("element => element === document.activeElement && document.hasFocus()"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{most} presses of Tab never reached {target}")


def test_a_reader_donates_monthly_with_the_keyboard_alone(page, host_page, live_server):
    page.goto(host_page.article(live_server))
    widget = page.frame_locator("iframe")
    keys = page.keyboard
    expect(widget.locator("#amount-range")).to_be_visible()

    tab_to(page, widget.locator("#frequency-once"))
    keys.press("ArrowRight")
    expect(widget.locator("#frequency-monthly")).to_be_checked()
    keys.press("Tab")
    keys.press("ArrowRight")
    expect(widget.locator("#currency-EUR")).to_be_checked()
    expect(widget.locator("#amount-label")).to_have_text("Amount to donate in EUR€")
    keys.press("Tab")
    keys.press("Control+A")
    keys.type("20")
    keys.press("Tab")
    keys.press("ArrowRight")
    keys.press("ArrowRight")
    expect(widget.locator("#amount")).to_have_value("22")
    tab_to(page, widget.locator("#cover_fees"))
    keys.press("Space")
    expect(widget.locator("#total")).to_have_text("Total: €22.59 per month")

    tab_to(page, widget.get_by_role("button", name="Donate"))
    with page.context.expect_page() as opened:
        keys.press("Enter")
    checkout = opened.value
    expect(widget.get_by_role("status")).to_have_text("Waiting for payment...")
    wait_for_a_status_check(page)
    tab_to(checkout, checkout.get_by_role("button", name="Pay €22.59 per month"))
    checkout.keyboard.press("Enter")

    thanks = "Thank you! Your donation of €22.59 per month was received."
    expect(widget.get_by_role("status")).to_have_text(thanks)
    assert widget.get_by_role("status").evaluate("() => window.statusLog")[-2:] == [
        "Validating payment information...", thanks]
    donation = latest_donation()
    assert (donation.status, donation.frequency) == ("completed", "monthly")
    assert (donation.amount_minor, donation.fee_minor, donation.charged_minor) == (2200, 59, 2259)


@pytest.mark.parametrize(("choice", "outcome", "told"), [
    ("Decline (simulate a failed card)", "failed",
     "The payment did not go through. Nothing was charged."),
    ("Cancel and go back", "cancelled", "You cancelled the payment. Nothing was charged."),
])
def test_a_declined_or_cancelled_payment_is_told_and_can_be_tried_again(
        page, host_page, live_server, choice, outcome, told):
    page.goto(host_page.article(live_server))
    widget = page.frame_locator("iframe")
    with page.context.expect_page() as opened:
        widget.get_by_role("button", name="Donate").click()
    checkout = opened.value
    expect(widget.get_by_role("status")).to_have_text("Waiting for payment...")
    checkout.get_by_role("button", name=choice).click()

    expect(widget.get_by_role("status")).to_have_text(told)
    expect(checkout.get_by_role("status")).to_contain_text(told)
    assert latest_donation().status == outcome
    page.bring_to_front()  # back to the article's tab (a hidden tab gets no animation frames)
    widget_frame(page).wait_for_function(FRAME_FITS)  # grown to show "Try again": click it
    widget.get_by_role("button", name="Try again").click()
    expect(widget.locator("#status")).to_be_empty()
    expect(widget.get_by_role("button", name="Donate")).to_be_enabled()
    expect(widget.get_by_role("button", name="Donate")).to_be_focused()


def test_the_quick_variant_donates_ten_euros(page, host_page, live_server):
    article = host_page.article(live_server, variant="quick")
    page.goto(article)
    widget = page.frame_locator("iframe")
    button = widget.get_by_role("button", name="Donate a quick 10 spot!")
    expect(button).to_have_accessible_name("Donate a quick 10 spot! (€10.00)")
    save_screenshot(page.locator("iframe"), "widget-quick")
    with page.context.expect_page() as opened:
        button.click()
    checkout = opened.value
    checkout.get_by_role("button", name="Pay €10.00").click()

    expect(widget.get_by_role("status")).to_have_text(
        "Thank you! Your donation of €10.00 was received.")
    donation = latest_donation()
    assert (donation.status, donation.amount_minor, donation.currency) == ("completed", 1000, "EUR")
    assert donation.source == article


def test_without_javascript_the_plain_form_donates(new_context, live_server):
    page = new_context(java_script_enabled=False).new_page()
    source = "https://news.example/harbour-road"
    page.goto(f"{live_server}/widget?variant=slider&source={source}")
    expect(page.locator("#amount-range")).to_be_hidden()
    page.get_by_label("EUR €").check()
    page.locator("#amount").fill("12.50")

    with page.expect_response(re.compile(r"/donations$")) as posted:
        page.get_by_role("button", name="Donate").click()
    assert posted.value.status == 303
    expect(page).to_have_url(re.compile(r"/sandbox/checkout/[\w-]+$"))
    page.get_by_role("button", name="Pay €12.50").click()

    expect(page).to_have_url(re.compile(r"/donations/[\w-]+/thanks$"))
    expect(page.get_by_role("status")).to_have_text(
        "Thank you! Your donation of €12.50 was received.")
    donation = latest_donation()
    assert (donation.status, donation.amount_minor, donation.source) == (
        "completed", 1250, source)
