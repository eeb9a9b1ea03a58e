"""The confirmation email as the outbox holds it: headers, links, words; and the export query."""

import re

import pytest

from donate.extensions import db
from donate.newsletter import service
from tests.newsletter.conftest import READER

ORG = {"ORG_NAME": "The Harbour Herald", "PUBLIC_URL": "https://give.example"}


@pytest.fixture
def app_overrides():
    return ORG


def test_the_confirmation_email_is_queued_with_one_click_unsubscribe_headers(newsletter):
    newsletter.sign_up()
    [email] = newsletter.emails()
    assert (email.kind, email.to_address, email.status) == (
        "newsletter_confirmation", READER, "pending")
    assert "The Harbour Herald" in email.subject
    assert re.fullmatch(r"<https://give\.example/newsletter/unsubscribe/[\w.-]+>",
                        email.headers["List-Unsubscribe"])
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_both_parts_link_to_the_confirm_page_and_to_unsubscribe(newsletter):
    newsletter.sign_up()
    [email] = newsletter.emails()
    unsubscribe = email.headers["List-Unsubscribe"].strip("<>")
    confirm = re.search(r"https://give\.example/newsletter/confirm/[\w.-]+",
                        email.body_text).group()
    for part in (email.body_text, email.body_html):
        assert confirm in part and unsubscribe in part
        assert "The Harbour Herald" in part
    assert "If you did not sign up" in email.body_text


def test_the_emailed_links_lead_to_our_pages(newsletter):
    newsletter.sign_up()
    assert newsletter.client.get(newsletter.link("confirm")).status_code == 200
    assert newsletter.client.get(newsletter.link("unsubscribe")).status_code == 200


def test_unsubscribe_headers_are_there_for_other_newsletter_mails(app, newsletter):
    subscriber = newsletter.confirmed()
    headers = service.unsubscribe_headers(subscriber)
    # the token is stamped with the second it was made: equal to the emailed one only within it
    link = re.fullmatch(r"<https://give\.example/newsletter/unsubscribe/([\w.-]+)>",
                        headers["List-Unsubscribe"])
    assert link and service.subscriber_to_unsubscribe(link[1]) == subscriber
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_export_query_lists_only_confirmed_subscribers(app, newsletter):
    newsletter.confirmed("first@example.org")
    newsletter.confirmed("second@example.org")
    newsletter.sign_up("pending@example.org")
    newsletter.unsubscribed("gone@example.org")
    db.session.rollback()  # a fresh snapshot: other connections wrote
    subscribers = db.session.scalars(service.confirmed_subscribers_query()).all()
    assert [s.email for s in subscribers] == ["first@example.org", "second@example.org"]
