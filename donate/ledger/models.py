"""Ledger rows. Only donate.ledger.service writes them."""

import secrets
from datetime import UTC, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from donate.extensions import db
from donate.ledger.states import DonationStatus, PledgeStatus
from donate.money import Money


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_public_id() -> str:
    """128 random bits, URL-safe: what readers and providers see instead of our row ids."""
    return secrets.token_urlsafe(16)


def _public_id_from_the_start(target, args, kwargs) -> None:
    """A pledge or donation has its public id from its constructor on, not from its INSERT:
    the emails written in the transaction that creates it (a month's receipt) are keyed by it,
    and nothing flushes before they are written."""
    kwargs.setdefault("public_id", new_public_id())


class Donor(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: lower-cased address; unique so that every gift by one person lands on one donor
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: the name as the donor last gave it, if any
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: when the donor's personal data was erased (email and name replaced); financial
    #: records stay for the retention period
    erased_at: Mapped[datetime | None]
    #: the language the donor last gave in ("en", "de"); their emails speak it
    locale: Mapped[str] = mapped_column(String(8), default="en", server_default="en")


class Pledge(db.Model):
    """A monthly commitment; each successful charge is an installment Donation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    status: Mapped[str] = mapped_column(String(20), default=PledgeStatus.PENDING)
    currency: Mapped[str] = mapped_column(String(3))
    #: what the donor chose per month, and the covered fee on top, in minor units
    amount_minor: Mapped[int]
    fee_minor: Mapped[int] = mapped_column(default=0)
    provider: Mapped[str] = mapped_column(String(20))
    #: the provider's subscription id, once checkout has created one
    provider_ref: Mapped[str | None] = mapped_column(String(255))
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donor.id"), index=True)
    source: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    #: provider time of the newest event that set or confirmed the status; older events
    #: (delivered late) cannot undo it
    status_as_of: Mapped[datetime | None]

    donor: Mapped[Donor | None] = relationship()

    __table_args__ = (UniqueConstraint("provider", "provider_ref"),)

    @property
    def charged_minor(self) -> int:
        return self.amount_minor + self.fee_minor

    @property
    def charged(self) -> Money:
        return Money(self.charged_minor, self.currency)


class Donation(db.Model):
    """One payment: a one-time gift, or one month of a pledge."""

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    #: "one_time" or "installment" (then pledge_id is set)
    kind: Mapped[str] = mapped_column(String(20), default="one_time")
    status: Mapped[str] = mapped_column(String(20), default=DonationStatus.PENDING)
    currency: Mapped[str] = mapped_column(String(3))
    #: the amount the donor chose, the fee they chose to cover, and so what we charge
    amount_minor: Mapped[int]
    fee_minor: Mapped[int] = mapped_column(default=0)
    charged_minor: Mapped[int]
    #: cumulative amount the provider has refunded (or taken back in a lost dispute)
    refunded_minor: Mapped[int] = mapped_column(default=0)
    provider: Mapped[str] = mapped_column(String(20))
    #: the provider's checkout object (session, order) that will pay this donation
    checkout_ref: Mapped[str | None] = mapped_column(String(255))
    checkout_url: Mapped[str | None] = mapped_column(Text)
    #: the provider's payment object (charge, capture, invoice); unique so money counts once
    payment_ref: Mapped[str | None] = mapped_column(String(255))
    pledge_id: Mapped[int | None] = mapped_column(ForeignKey("pledge.id"), index=True)
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donor.id"), index=True)
    #: the page the reader gave from (the embedding article's URL)
    source: Mapped[str | None] = mapped_column(String(2048))
    newsletter_opt_in: Mapped[bool] = mapped_column(default=False)
    #: the network checkout was asked from (IPv4 /24, IPv6 /64; never the address), so that
    #: failed payments can be counted per network (donate/abuse/velocity.py)
    client_network: Mapped[str | None] = mapped_column(String(64))
    #: the language the reader gave in; the receipt and refund emails speak it
    locale: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    #: the client's Idempotency-Key and a hash of the request it came with
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    #: None, "open", "won" or "lost": lets a late "dispute opened" know it is late
    dispute_outcome: Mapped[str | None] = mapped_column(String(10))
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    #: "2026-000042": sequential per year, given when the donation first completes, never reused
    receipt_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None]

    pledge: Mapped[Pledge | None] = relationship(backref="donations")
    donor: Mapped[Donor | None] = relationship(backref="donations")

    __table_args__ = (
        UniqueConstraint("provider", "payment_ref"),
        Index("ix_donation_provider_checkout_ref", "provider", "checkout_ref"),
        Index("ix_donation_status_created_at", "status", "created_at"),
    )

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def fee(self) -> Money:
        return Money(self.fee_minor, self.currency)

    @property
    def charged(self) -> Money:
        return Money(self.charged_minor, self.currency)

    @property
    def refunded(self) -> Money:
        return Money(self.refunded_minor, self.currency)

    @property
    def frequency(self) -> str:
        return "monthly" if self.pledge_id else "once"


class ReceiptSequence(db.Model):
    """The last receipt number given in a year; incremented under a row lock."""

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class ProviderEvent(db.Model):
    """Every provider event, stored before it is acted on; the inbox of the ledger."""

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    #: the provider's own event id; a repeat delivery finds this row and changes nothing
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(100))
    #: the body exactly as received, for audits and replays
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    #: why applying it failed (an illegal transition, an unknown donation), if it did
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        UniqueConstraint("provider", "event_id"),
        Index("ix_provider_event_unprocessed", "processed_at"),
    )


for _model in (Pledge, Donation):
    event.listen(_model, "init", _public_id_from_the_start)
