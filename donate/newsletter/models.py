"""Subscriber: one address, where it stands in the double opt-in, and the proof of consent."""

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from donate.extensions import db
from donate.ledger.models import utcnow


class SubscriberStatus:
    PENDING = "pending"  #: signed up, confirmation email sent, link not yet used
    CONFIRMED = "confirmed"  #: clicked the link: gets the newsletter
    UNSUBSCRIBED = "unsubscribed"  #: asked to stop; a new sign-up starts over at pending


class Subscriber(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: lower-cased address; unique so that every sign-up by one person lands on one row
    email: Mapped[str] = mapped_column(String(254), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=SubscriberStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: when the reader last agreed (the sign-up that the confirmation link confirms)
    consent_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the page the sign-up came from, if it sent a usable address
    consent_source: Mapped[str | None] = mapped_column(String(2048))
    #: the exact wording the reader agreed to (NEWSLETTER_CONSENT_TEXT at the time)
    consent_text: Mapped[str] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    #: when the last confirmation email was enqueued; another waits an hour after it
    confirmation_sent_at: Mapped[datetime | None]
    #: how many confirmation emails were enqueued; numbers each one's dedupe key
    confirmations_sent: Mapped[int] = mapped_column(default=0)
    #: carried by confirm links; bumped on confirming and unsubscribing so old links stop working
    token_version: Mapped[int] = mapped_column(default=0)
    #: the language the reader signed up in; confirmation emails speak it
    locale: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
