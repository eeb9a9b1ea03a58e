"""The widget in German on a publisher's page: from the tag's data-lang, from the article's
own lang, or from the browser's language, in that order; German amounts throughout."""

from playwright.sync_api import expect

from tests.browser.conftest import latest_donation
from tests.browser.harness import save_screenshot

GERMAN_HEADING = "Unterstützen Sie unseren Journalismus"


def test_a_german_article_gets_a_german_widget_and_a_german_thank_you(page, host_page,
                                                                     live_server):
    page.goto(host_page.article(live_server, page_lang="de", currency="EUR"))
    widget = page.frame_locator("iframe")
    expect(widget.get_by_role("heading", level=1)).to_have_text(GERMAN_HEADING)
    expect(widget.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("iframe")).to_have_attribute("title", "Spenden für The Daily Example")

    widget.locator("#amount").fill("30,50")
    expect(widget.locator("#total")).to_have_text("Gesamt: 30,50\u00a0€")
    widget.get_by_text("Monatlich").click()
    expect(widget.locator("#total")).to_have_text("Gesamt: 30,50\u00a0€ pro Monat")
    widget.get_by_text("Einmalig").click()
    widget.get_by_role("button", name="50\u00a0€").click()
    expect(widget.locator("#amount")).to_have_value("50")
    save_screenshot(page.locator("iframe"), "widget-slider-de")

    with page.context.expect_page() as opened:
        widget.get_by_role("button", name="Spenden", exact=True).click()
    checkout = opened.value
    expect(widget.get_by_role("status")).to_have_text("Warten auf die Zahlung...")
    checkout.get_by_role("button", name="Pay €50.00").click()  # the sandbox stands in for Stripe
    thanks = "Vielen Dank! Ihre Spende über 50,00\u00a0€ ist eingegangen."
    expect(checkout.get_by_role("status")).to_have_text(thanks)
    expect(widget.get_by_role("status")).to_have_text(thanks)
    assert latest_donation().locale == "de"


def test_the_tags_data_lang_wins_over_the_articles_lang(page, host_page, live_server):
    page.goto(host_page.article(live_server, page_lang="de", data_lang="en"))
    expect(page.frame_locator("iframe").get_by_role("heading", level=1)).to_have_text(
        "Support our journalism")
    page.goto(host_page.article(live_server, page_lang="en", data_lang="de"))
    expect(page.frame_locator("iframe").get_by_role("heading", level=1)).to_have_text(
        GERMAN_HEADING)


def test_without_any_lang_the_browsers_language_decides(new_context, host_page, live_server):
    page = new_context(locale="de-DE").new_page()
    page.goto(host_page.article(live_server, page_lang=None))
    widget = page.frame_locator("iframe")
    expect(widget.get_by_role("heading", level=1)).to_have_text(GERMAN_HEADING)
    widget.locator("#amount").fill("1000000")
    widget.get_by_role("button", name="Spenden", exact=True).click()
    expect(widget.locator("#amount")).to_have_js_property(
        "validationMessage", "Die größte Online-Spende beträgt 10.000,00\u00a0$.")
