"""Newsletter use cases: sign up, confirm, unsubscribe; each writes its rows and emails at once.

Links are signed with SECRET_KEY. A confirm link names the subscriber and their token_version
and expires; an unsubscribe link never expires (old issues must keep working) and names the
subscriber and a digest of their address, so a row id reused for someone else cannot match.
"""

import hashlib
import hmac
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from donate.extensions import db
from donate.i18n import current_locale, speaking
from donate.ledger.models import utcnow
from donate.mail.render import render_email
from donate.newsletter.models import Subscriber, SubscriberStatus
from donate.outbox.enqueue import enqueue
from donate.urls import external_url

#: A pending or returning reader gets at most one confirmation email per hour.
RESEND_AFTER = timedelta(hours=1)
CONFIRM_SALT = "newsletter-confirm"
UNSUBSCRIBE_SALT = "newsletter-unsubscribe"


def consent_text() -> str:
    """The sign-up wording in the reader's language: NEWSLETTER_CONSENT_TEXT_<LANG>, else
    NEWSLETTER_CONSENT_TEXT, else ours."""
    config = current_app.config
    return (config.get(f"NEWSLETTER_CONSENT_TEXT_{current_locale().upper()}")
            or config["NEWSLETTER_CONSENT_TEXT"]
            or _("Send me the newsletter. I can unsubscribe at any time."))


def sign_up(email: str, source: str | None, wording: str | None = None) -> None:
    """Start (or restart) the double opt-in for an address, and commit."""
    sign_up_from_checkout(email, source, wording)
    db.session.commit()


def sign_up_from_checkout(email: str, source: str | None, wording: str | None = None) -> None:
    """sign_up inside the caller's transaction, which the caller commits (the ledger does).

    `email` is a checked address, `source` a checked page URL or None, `wording` what the
    reader agreed to (consent_text() by default). A confirmed address, or one mailed
    within the hour, is left as it is; any other gets fresh consent and a confirmation email.
    """
    email = email.strip().lower()
    consent = {"consent_at": utcnow(), "consent_source": source,
               "consent_text": wording or consent_text(), "locale": current_locale()}
    subscriber = _locked(email) or _added(Subscriber(email=email, **consent)) or _locked(email)
    if subscriber.status == SubscriberStatus.CONFIRMED or _mailed_within_the_hour(subscriber):
        return
    for name, value in consent.items():
        setattr(subscriber, name, value)
    subscriber.status = SubscriberStatus.PENDING
    _send_confirmation(subscriber)


def confirm(token: str) -> Subscriber | None:
    """Confirm the pending sign-up a link was mailed for; None if the link is no good."""
    subscriber = subscriber_to_confirm(token, lock=True)
    if subscriber is None:
        return None
    subscriber.status = SubscriberStatus.CONFIRMED
    subscriber.confirmed_at = utcnow()
    subscriber.token_version += 1
    db.session.commit()
    return subscriber


def unsubscribe(token: str) -> Subscriber | None:
    """Stop the newsletter for the link's subscriber (again is fine); None if no good."""
    subscriber = subscriber_to_unsubscribe(token, lock=True)
    if subscriber is not None and subscriber.status != SubscriberStatus.UNSUBSCRIBED:
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.unsubscribed_at = utcnow()
        subscriber.token_version += 1
        db.session.commit()
    return subscriber


def subscriber_to_confirm(token: str, lock: bool = False) -> Subscriber | None:
    """The pending subscriber a confirm link is good for, if any; changes nothing."""
    payload = _load(CONFIRM_SALT, token, current_app.config["NEWSLETTER_CONFIRM_MAX_AGE"])
    if payload is None:
        return None
    subscriber_id, version = payload
    subscriber = db.session.get(Subscriber, subscriber_id, with_for_update=lock)
    if (subscriber is None or subscriber.token_version != version
            or subscriber.status != SubscriberStatus.PENDING):
        return None
    return subscriber


def subscriber_to_unsubscribe(token: str, lock: bool = False) -> Subscriber | None:
    """The subscriber an unsubscribe link is for, if it is still theirs; changes nothing."""
    payload = _load(UNSUBSCRIBE_SALT, token)
    if payload is None:
        return None
    subscriber_id, digest = payload
    subscriber = db.session.get(Subscriber, subscriber_id, with_for_update=lock)
    if subscriber is None or not hmac.compare_digest(_email_digest(subscriber.email), digest):
        return None
    return subscriber


def confirm_token(subscriber: Subscriber) -> str:
    return _serializer(CONFIRM_SALT).dumps([subscriber.id, subscriber.token_version])


def unsubscribe_token(subscriber: Subscriber) -> str:
    return _serializer(UNSUBSCRIBE_SALT).dumps([subscriber.id, _email_digest(subscriber.email)])


def unsubscribe_headers(subscriber: Subscriber) -> dict[str, str]:
    """List-Unsubscribe (RFC 2369) with one-click POST (RFC 8058), for every newsletter mail."""
    return {"List-Unsubscribe": f"<{_unsubscribe_url(subscriber)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def confirmed_subscribers_query() -> Select:
    """Everyone who gets the newsletter, in the order they confirmed (for the CSV export)."""
    return (select(Subscriber).where(Subscriber.status == SubscriberStatus.CONFIRMED)
            .order_by(Subscriber.confirmed_at, Subscriber.id))


def _locked(email: str) -> Subscriber | None:
    return db.session.scalar(select(Subscriber).where(Subscriber.email == email)
                             .with_for_update())


def _added(subscriber: Subscriber) -> Subscriber | None:
    """The new row, or None when a concurrent sign-up of the same address got there first."""
    try:
        with db.session.begin_nested():
            db.session.add(subscriber)
    except IntegrityError:
        return None
    return subscriber


def _mailed_within_the_hour(subscriber: Subscriber) -> bool:
    sent = subscriber.confirmation_sent_at
    return sent is not None and utcnow() - sent < RESEND_AFTER


def _send_confirmation(subscriber: Subscriber) -> None:
    subscriber.confirmations_sent += 1
    subscriber.confirmation_sent_at = utcnow()
    with speaking(subscriber.locale):
        email = render_email(
            "newsletter_confirm", _("Please confirm your subscription to %(org)s",
                                    org=current_app.config["ORG_NAME"]),
            confirm_url=external_url("newsletter.confirm_page", token=confirm_token(subscriber)),
            unsubscribe_url=_unsubscribe_url(subscriber))
    enqueue(kind="newsletter_confirmation",
            dedupe_key=f"newsletter-confirm:{subscriber.id}:{subscriber.confirmations_sent}",
            to=subscriber.email, subject=email.subject, text=email.text, html=email.html,
            headers=unsubscribe_headers(subscriber))


def _unsubscribe_url(subscriber: Subscriber) -> str:
    return external_url("newsletter.unsubscribe_page", token=unsubscribe_token(subscriber))


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _load(salt: str, token: str, max_age: int | None = None) -> list | None:
    try:
        return _serializer(salt).loads(token, max_age=max_age)
    except BadSignature:  # tampered, or SignatureExpired
        return None


def _email_digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:16]
