"""The emailed links: confirm only by POST, expire, die when used; unsubscribe in one click."""

import pytest
from itsdangerous import URLSafeTimedSerializer

from donate.extensions import db
from donate.newsletter import service
from donate.newsletter.models import Subscriber
from tests.newsletter.conftest import READER

BAD_LINK = "This link has expired or is not valid — sign up again"


def is_bad_link(response) -> bool:
    return response.status_code == 400 and BAD_LINK in response.get_data(as_text=True)


def test_opening_the_confirm_link_changes_nothing_and_offers_a_button(newsletter):
    newsletter.sign_up()
    link = newsletter.link("confirm")
    response = newsletter.client.get(link)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<form method="post" action="{link}">' in page and "<button" in page
    subscriber = newsletter.subscriber()
    assert (subscriber.status, subscriber.token_version) == ("pending", 0)


def test_posting_the_confirm_link_confirms(newsletter):
    newsletter.sign_up()
    response = newsletter.client.post(newsletter.link("confirm"))
    assert response.status_code == 200
    assert "You're subscribed" in response.get_data(as_text=True).replace("&#39;", "'")
    subscriber = newsletter.subscriber()
    assert subscriber.status == "confirmed" and subscriber.confirmed_at is not None


def test_a_used_confirm_link_stops_working(newsletter):
    newsletter.sign_up()
    link = newsletter.link("confirm")
    newsletter.client.post(link)
    assert is_bad_link(newsletter.client.post(link))
    assert is_bad_link(newsletter.client.get(link))


@pytest.mark.parametrize("app_overrides", [{"NEWSLETTER_CONFIRM_MAX_AGE": -1}])
def test_an_expired_confirm_link_asks_to_sign_up_again(newsletter):
    newsletter.sign_up()
    link = newsletter.link("confirm")
    assert is_bad_link(newsletter.client.get(link))
    assert is_bad_link(newsletter.client.post(link))
    assert newsletter.subscriber().status == "pending"


def tampered(token: str) -> str:
    """Change the signature's first character: the last one may only carry padding bits."""
    payload, _, signature = token.rpartition(".")
    return f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


@pytest.mark.parametrize("forge", [
    tampered,
    lambda token: "not-a-token",
    lambda token: URLSafeTimedSerializer("another key", salt="newsletter-confirm").dumps(
        [1, 0]),
    lambda token: URLSafeTimedSerializer("test-secret-key", salt="newsletter-unsubscribe")
    .dumps([1, 0]),  # a token for another purpose
], ids=["tampered", "garbage", "other-key", "other-purpose"])
def test_a_forged_confirm_link_is_refused(newsletter, forge):
    newsletter.sign_up()
    token = newsletter.link("confirm").rsplit("/", 1)[1]
    assert is_bad_link(newsletter.client.post(f"/newsletter/confirm/{forge(token)}"))
    assert newsletter.subscriber().status == "pending"


def test_an_old_confirm_link_cannot_undo_an_unsubscribe(newsletter):
    newsletter.sign_up()
    old_link = newsletter.link("confirm")
    newsletter.client.post(old_link)
    newsletter.client.post(newsletter.link("unsubscribe"))
    assert is_bad_link(newsletter.client.post(old_link))
    assert newsletter.subscriber().status == "unsubscribed"


def test_after_signing_up_again_only_the_new_confirm_link_works(newsletter):
    newsletter.sign_up()
    old_link = newsletter.link("confirm")
    newsletter.unsubscribed()
    newsletter.age_last_email()
    newsletter.sign_up()
    assert is_bad_link(newsletter.client.post(old_link))
    assert newsletter.client.post(newsletter.link("confirm")).status_code == 200
    assert newsletter.subscriber().status == "confirmed"


def test_one_click_unsubscribe_works_with_no_cookie_and_no_csrf_token(app, newsletter):
    newsletter.confirmed()
    link = newsletter.link("unsubscribe")
    mail_provider = app.test_client(use_cookies=False)
    response = mail_provider.post(link, data="List-Unsubscribe=One-Click",
                                  content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "You're unsubscribed" in response.get_data(as_text=True).replace("&#39;", "'")
    subscriber = newsletter.subscriber()
    assert subscriber.status == "unsubscribed" and subscriber.unsubscribed_at is not None


def test_opening_the_unsubscribe_link_changes_nothing_and_offers_a_button(newsletter):
    newsletter.confirmed()
    link = newsletter.link("unsubscribe")
    response = newsletter.client.get(link)
    assert response.status_code == 200
    assert f'<form method="post" action="{link}">' in response.get_data(as_text=True)
    assert newsletter.subscriber().status == "confirmed"


def test_unsubscribing_twice_is_fine(newsletter):
    newsletter.unsubscribed()
    response = newsletter.client.post(newsletter.link("unsubscribe"))
    assert response.status_code == 200
    assert newsletter.subscriber().status == "unsubscribed"


def test_a_pending_reader_can_unsubscribe_before_confirming(newsletter):
    newsletter.sign_up()
    newsletter.client.post(newsletter.link("unsubscribe"))
    assert newsletter.subscriber().status == "unsubscribed"


@pytest.mark.parametrize("app_overrides", [{"NEWSLETTER_CONFIRM_MAX_AGE": -1}])
def test_unsubscribe_links_do_not_expire(newsletter):
    newsletter.sign_up()
    assert newsletter.client.post(newsletter.link("unsubscribe")).status_code == 200


def test_a_tampered_unsubscribe_link_is_refused(newsletter):
    newsletter.confirmed()
    link = newsletter.link("unsubscribe")
    assert is_bad_link(newsletter.client.post(tampered(link)))
    assert newsletter.subscriber().status == "confirmed"


def test_an_unsubscribe_link_does_not_match_someone_given_the_same_row_id(app, newsletter):
    newsletter.sign_up("gone@example.org")
    gone = newsletter.subscriber("gone@example.org")
    gone_id, link = gone.id, newsletter.link("unsubscribe", "gone@example.org")
    db.session.delete(gone)
    db.session.flush()
    db.session.add(Subscriber(id=gone_id, email=READER, status="confirmed", consent_text="x"))
    db.session.commit()
    assert is_bad_link(newsletter.client.post(link))
    assert newsletter.subscriber().status == "confirmed"


def test_service_tokens_match_the_links_in_the_email(app, newsletter):
    newsletter.sign_up()
    subscriber = newsletter.subscriber()
    # A token carries the second it was signed: the email's and one made now may differ
    # there, so compare what each says, and that the service takes the email's.
    for kind, made_now, taken_by in [
            ("confirm", service.confirm_token, service.subscriber_to_confirm),
            ("unsubscribe", service.unsubscribe_token, service.subscriber_to_unsubscribe)]:
        in_email = newsletter.link(kind).rsplit("/", 1)[1]
        assert in_email.split(".")[0] == made_now(subscriber).split(".")[0]
        assert taken_by(in_email) == subscriber
