"""The newsletter variant signs a reader up from the publisher's article."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from donate.extensions import db
from donate.newsletter.models import Subscriber
from tests.browser.harness import save_screenshot


def test_a_reader_signs_up_for_the_newsletter_without_leaving_the_article(
        page, host_page, live_server):
    article = host_page.article(live_server, variant="newsletter")
    page.goto(article)
    widget = page.frame_locator("iframe")
    widget.get_by_label("Email").fill("reader@example.org")
    with page.expect_response(re.compile(r"/newsletter$")) as answered:
        widget.get_by_role("button", name="Subscribe").click()

    assert answered.value.status == 202
    expect(widget.get_by_role("status")).to_have_text(
        "Thanks! Check your inbox to confirm your subscription.")
    expect(widget.get_by_label("Email")).to_be_empty()
    save_screenshot(page.locator("iframe"), "widget-newsletter")
    db.session.rollback()  # a fresh snapshot: the server wrote on its own connection
    subscriber = db.session.scalar(select(Subscriber))
    assert (subscriber.email, subscriber.status, subscriber.consent_source) == (
        "reader@example.org", "pending", article)
