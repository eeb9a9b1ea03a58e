"""The interface every payment provider implements. Providers translate; the ledger decides."""

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from donate.ledger.events import LedgerEvent, MalformedEvent
from donate.ledger.models import Donation, Pledge, ProviderEvent
from donate.money import Money


@dataclass(frozen=True)
class CheckoutUrls:
    """Where the provider sends the reader back to."""

    success: str
    cancel: str


@dataclass(frozen=True)
class Checkout:
    """A provider page where the reader pays, and the provider's id for it."""

    redirect_url: str
    provider_ref: str
    subscription_ref: str | None = None


@dataclass(frozen=True)
class InboundEvent:
    """A verified provider event, before it is stored: its id, type and body as received."""

    event_id: str
    type: str
    payload: str


class WebhookRejected(Exception):
    """A delivery we cannot trust (bad signature, stale, unreadable); answered with 400."""


class ProviderError(Exception):
    """A provider refused or could not be reached; the message is safe to show a person."""


class CheckoutUnavailable(ProviderError):
    """The provider would not open a checkout; the message is safe to show the reader."""


class Provider(ABC):
    name: ClassVar[str]
    #: what the reader sees on the choice of payment method
    label: ClassVar[str]  #: what readers see (translated: a lazy string)
    #: origins the reader's browser is sent to at checkout (for CSP form-action)
    checkout_origins: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def start_checkout(self, donation: Donation, urls: CheckoutUrls) -> Checkout:
        """Open the provider's payment page for a pending donation (and its pledge)."""

    @abstractmethod
    def verify_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> InboundEvent:
        """Check a delivery's signature and read its id and type; raise WebhookRejected."""

    #: event type -> function(provider, event object, occurred_at) -> [LedgerEvent]
    translators: ClassVar[dict[str, Callable]] = {}

    def translate(self, event: ProviderEvent) -> list[LedgerEvent]:
        """The ledger events a stored provider event stands for (none for types we ignore)."""
        translator = self.translators.get(event.type)
        if translator is None:
            return []
        try:
            obj, occurred_at = self.event_object(json.loads(event.payload))
            return translator(self, obj, occurred_at)
        except (KeyError, TypeError, ValueError, AttributeError) as missing:
            raise MalformedEvent(f"{self.name} {event.type} lacks {missing}") from None

    def event_object(self, body: dict) -> tuple[dict, datetime]:
        """The object an event is about, and when it happened (provider-specific shapes)."""
        raise NotImplementedError

    def cancel_pledge(self, pledge: Pledge) -> None:
        """Ask the provider to stop charging; the ledger follows the provider's event."""
        raise NotImplementedError(f"{self.name} cannot cancel pledges yet")

    def change_pledge_amount(self, pledge: Pledge, amount: Money, return_url: str) -> str | None:
        """Ask the provider to charge `amount` monthly from now on; the ledger follows its
        event. Returns a page the donor must visit to approve the change, if the provider
        wants one (PayPal does)."""
        raise NotImplementedError(f"{self.name} cannot change pledges yet")

    def payment_method_url(self, pledge: Pledge, return_url: str) -> str:
        """A page at the provider where the donor updates the card a pledge is charged to."""
        raise NotImplementedError(f"{self.name} cannot update payment methods here")

    def refund(self, donation: Donation, amount: Money | None = None) -> None:
        raise NotImplementedError(f"{self.name} cannot refund yet")

    def reconcile(self, since: datetime) -> Iterator[InboundEvent]:
        """Events the provider has for payments since `since`, to repair lost webhooks."""
        return iter(())
