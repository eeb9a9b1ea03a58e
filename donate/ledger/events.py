"""What providers hand the ledger: provider-neutral facts, and the requests it acts on."""

from dataclasses import dataclass
from datetime import datetime

from donate.ledger.states import Action
from donate.money import Money


@dataclass(frozen=True)
class LedgerEvent:
    """One thing a provider says happened, translated into our words.

    A provider fills in whichever references its payload has; the ledger finds the row by the
    first that matches: our public id, then the provider's checkout, payment or subscription id.
    """

    action: Action
    occurred_at: datetime
    donation_ref: str | None = None  #: our Donation.public_id (metadata, custom_id)
    checkout_ref: str | None = None  #: the provider's checkout session / order id
    payment_ref: str | None = None  #: the provider's charge / capture / invoice id
    pledge_ref: str | None = None  #: our Pledge.public_id
    subscription_ref: str | None = None  #: the provider's subscription id
    #: the money the action is about: the installment charged, or the cumulative refund
    amount: Money | None = None
    email: str | None = None
    name: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class DonationRequest:
    """A reader's valid request to give, as the widget form or JSON API parsed it."""

    amount: Money
    fee_minor: int
    frequency: str  #: "once" or "monthly"
    provider: str
    email: str | None = None
    name: str | None = None
    source: str | None = None
    newsletter: bool = False
    idempotency_key: str | None = None
    fingerprint: str | None = None  #: hash of the fields, to refuse a reused key
    #: the network the request came from (/24, /64), for the velocity alarms
    client_network: str | None = None
    locale: str = "en"  #: the reader's language, for the emails that follow


class UnknownReference(LookupError):
    """An event about a donation or pledge we have no row for (another integration's)."""


class MalformedEvent(ValueError):
    """A provider event that lacks what its type needs (an amount, a reference)."""
