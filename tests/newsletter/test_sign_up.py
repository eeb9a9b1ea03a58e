"""sign_up: every state an address can be in, the hourly resend limit, and proof of consent."""

import pytest
from sqlalchemy import func, select

from donate.extensions import db
from donate.ledger.models import Donor
from donate.newsletter import service
from tests.newsletter.conftest import READER, counts


def test_a_new_address_is_pending_and_gets_one_confirmation_email(newsletter):
    assert newsletter.sign_up().status_code == 202
    subscriber = newsletter.subscriber()
    assert (subscriber.status, subscriber.confirmed_at) == ("pending", None)
    assert subscriber.confirmation_sent_at is not None
    [email] = newsletter.emails()
    assert email.dedupe_key == f"newsletter-confirm:{subscriber.id}:1"


def test_a_pending_address_gets_no_second_email_within_the_hour(newsletter):
    newsletter.sign_up()
    newsletter.age_last_email(by=service.RESEND_AFTER / 2)
    assert newsletter.sign_up().status_code == 202
    assert len(newsletter.emails()) == 1


def test_a_pending_address_is_mailed_again_after_an_hour(newsletter):
    newsletter.sign_up()
    newsletter.age_last_email()
    newsletter.sign_up()
    subscriber = newsletter.subscriber()
    assert [email.dedupe_key for email in newsletter.emails()] == [
        f"newsletter-confirm:{subscriber.id}:1", f"newsletter-confirm:{subscriber.id}:2"]
    assert subscriber.status == "pending"


def test_a_confirmed_address_is_left_as_it_is(newsletter):
    before = newsletter.confirmed()
    newsletter.age_last_email()
    newsletter.sign_up(source="https://news.example/other")
    after = newsletter.subscriber()
    assert (after.status, after.token_version, after.consent_source) == (
        "confirmed", before.token_version, before.consent_source)
    assert len(newsletter.emails()) == 1


def test_an_unsubscribed_address_starts_over_with_fresh_consent(newsletter):
    newsletter.unsubscribed()
    newsletter.age_last_email()
    newsletter.sign_up(source="https://news.example/again")
    subscriber = newsletter.subscriber()
    assert subscriber.status == "pending"
    assert subscriber.consent_source == "https://news.example/again"
    assert subscriber.consent_at > subscriber.unsubscribed_at
    assert len(newsletter.emails()) == 2


def test_an_unsubscribed_address_mailed_within_the_hour_is_left_alone(newsletter):
    newsletter.unsubscribed()
    newsletter.sign_up()
    assert newsletter.subscriber().status == "unsubscribed"
    assert len(newsletter.emails()) == 1


def test_the_address_is_stored_lower_cased_on_one_row(newsletter):
    newsletter.sign_up("Reader@Example.ORG")
    newsletter.age_last_email()
    newsletter.sign_up("reader@example.org")
    assert newsletter.subscriber().email == READER
    assert counts() == (1, 2)


def test_signing_up_from_checkout_leaves_the_commit_to_the_caller(app):
    db.session.add(Donor(email=READER))  # the ledger's own work in the same transaction
    service.sign_up_from_checkout(READER, "https://news.example/story")
    assert counts() == (1, 1)
    db.session.rollback()
    assert counts() == (0, 0)
    assert db.session.scalar(select(func.count(Donor.id))) == 0


def test_the_proof_of_consent_is_kept(newsletter):
    newsletter.sign_up(source="https://news.example/story")
    subscriber = newsletter.subscriber()
    assert subscriber.consent_source == "https://news.example/story"
    assert subscriber.consent_text == "Send me the newsletter. I can unsubscribe at any time."
    assert subscriber.consent_at is not None and subscriber.created_at is not None


@pytest.mark.parametrize("app_overrides", [{"NEWSLETTER_CONSENT_TEXT": "Yes, weekly news."}])
def test_the_consent_wording_comes_from_config(newsletter):
    newsletter.sign_up()
    assert newsletter.subscriber().consent_text == "Yes, weekly news."


def test_a_sign_up_from_checkout_keeps_the_wording_it_was_given(app, newsletter):
    service.sign_up(READER, None, wording="Send me the newsletter")
    assert newsletter.subscriber().consent_text == "Send me the newsletter"


def test_without_a_source_field_the_referring_page_is_the_source(newsletter):
    newsletter.client.post("/newsletter", data={"email": READER},
                           headers={"Referer": "https://news.example/from-referer"})
    assert newsletter.subscriber().consent_source == "https://news.example/from-referer"


@pytest.mark.parametrize("source", ["javascript:alert(1)", "news",
                                    "https://x.example/" + "a" * 2048])
def test_a_bad_source_is_dropped_rather_than_refusing_the_reader(newsletter, source):
    assert newsletter.sign_up(source=source).status_code == 202
    assert newsletter.subscriber().consent_source is None
