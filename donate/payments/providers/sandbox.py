"""The sandbox: a local checkout page where a person pays, declines or cancels, with no keys.

Its outcomes become signed events that enter through the same inbox and ledger as Stripe's
and PayPal's, so a fresh clone exercises the real path. Off unless DONATE_SANDBOX=1.
"""

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from flask import url_for
from flask_babel import lazy_gettext

from donate.ledger.events import LedgerEvent, MalformedEvent
from donate.ledger.models import Donation, Pledge, ProviderEvent
from donate.ledger.states import Action
from donate.money import Money
from donate.payments.base import (
    Checkout,
    CheckoutUrls,
    InboundEvent,
    Provider,
    ProviderError,
    WebhookRejected,
)

SIGNATURE_HEADER = "Sandbox-Signature"
SIGNATURE_TOLERANCE_SECONDS = 300
OUTCOMES = ("pay", "decline", "cancel")


class SandboxProvider(Provider):
    name = "sandbox"
    label = lazy_gettext("Sandbox (test payment)")

    def __init__(self, secret_key: str) -> None:
        # A key of its own, derived so that it never equals the session-signing key.
        self._signing_key = hmac.new(secret_key.encode(), b"sandbox-webhook",
                                     hashlib.sha256).digest()

    def start_checkout(self, donation: Donation, urls: CheckoutUrls) -> Checkout:
        url = url_for("sandbox.checkout", donation_id=donation.public_id, _external=True)
        subscription = f"sbx_sub_{donation.pledge.public_id}" if donation.pledge else None
        return Checkout(redirect_url=url, provider_ref=f"sbx_cs_{donation.public_id}",
                        subscription_ref=subscription)

    def outcome_event(self, donation: Donation, outcome: str) -> dict:
        """The event the sandbox 'sends' when the reader picks an outcome on its page."""
        types = {"pay": "checkout.paid", "decline": "checkout.declined",
                 "cancel": "checkout.cancelled"}
        return self._event(f"sbx_evt_{outcome}_{donation.public_id}", types[outcome], {
            "donation": donation.public_id,
            "pledge": donation.pledge.public_id if donation.pledge else None,
            "payment": f"sbx_inv_{donation.pledge.public_id}_1" if donation.pledge
            else f"sbx_pay_{donation.public_id}",
            "amount": donation.charged_minor, "currency": donation.currency})

    def renewal_event(self, pledge: Pledge, month: int) -> dict:
        """A later month's charge of a pledge, as the sandbox's billing would report it."""
        return self._event(f"sbx_evt_invoice_{pledge.public_id}_{month}", "invoice.paid", {
            "pledge": pledge.public_id, "payment": f"sbx_inv_{pledge.public_id}_{month}",
            "amount": pledge.charged_minor, "currency": pledge.currency})

    def cancel_pledge(self, pledge: Pledge) -> None:
        self._deliver(self._event(f"sbx_evt_cancel_{pledge.public_id}", "subscription.cancelled",
                                  {"pledge": pledge.public_id, "amount": pledge.charged_minor,
                                   "currency": pledge.currency}))

    def change_pledge_amount(self, pledge: Pledge, amount: Money, return_url: str) -> None:
        self._deliver(self._event(
            f"sbx_evt_amount_{pledge.public_id}_{secrets.token_hex(4)}", "subscription.updated",
            {"pledge": pledge.public_id, "amount": amount.minor, "currency": amount.currency}))

    def payment_method_url(self, pledge: Pledge, return_url: str) -> str:
        raise ProviderError("The sandbox has no card to update: it takes no real money.")

    def _deliver(self, event: dict) -> None:
        """The sandbox's billing tells us at once, through the same inbox as any webhook."""
        from donate.payments import inbox

        body = json.dumps(event).encode()
        inbox.receive(self, self.sign(body), body)

    def _event(self, event_id: str, type_: str, data: dict) -> dict:
        return {"id": event_id, "type": type_, "created": int(time.time()), "data": data}

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """Headers that make `body` a valid delivery to POST /webhooks/sandbox."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        return {SIGNATURE_HEADER: f"t={timestamp},v1={self._digest(timestamp, body)}"}

    def _digest(self, timestamp: int, body: bytes) -> str:
        return hmac.new(self._signing_key, f"{timestamp}.".encode() + body,
                        hashlib.sha256).hexdigest()

    def verify_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> InboundEvent:
        parts = dict(part.split("=", 1) for part in headers.get(SIGNATURE_HEADER, "").split(",")
                     if "=" in part)
        try:
            timestamp = int(parts["t"])
        except (KeyError, ValueError):
            raise WebhookRejected("missing or unreadable signature header") from None
        now = time.time()  # compared, not subtracted: a huge int does not fit a float
        if not now - SIGNATURE_TOLERANCE_SECONDS <= timestamp <= now + SIGNATURE_TOLERANCE_SECONDS:
            raise WebhookRejected("signature timestamp outside the tolerance")
        if not hmac.compare_digest(self._digest(timestamp, raw_body).encode(),
                                   parts.get("v1", "").encode()):
            raise WebhookRejected("signature does not match")
        try:
            event = json.loads(raw_body)
            return InboundEvent(str(event["id"]), str(event["type"]), raw_body.decode())
        except (ValueError, KeyError, TypeError):
            raise WebhookRejected("body is not a sandbox event") from None

    def translate(self, event: ProviderEvent) -> list[LedgerEvent]:
        body = json.loads(event.payload)
        try:
            data = body["data"]
            when = datetime.fromtimestamp(body["created"], UTC).replace(tzinfo=None)
            amount = Money(data["amount"], data["currency"])
        except (KeyError, TypeError, ValueError) as missing:
            raise MalformedEvent(f"sandbox event lacks {missing}") from None
        common = {"occurred_at": when, "donation_ref": data.get("donation"),
                  "pledge_ref": data.get("pledge")}
        monthly = bool(data.get("pledge"))
        match event.type, monthly:
            case "checkout.paid", False:
                return [LedgerEvent(Action.PAYMENT_SUCCEEDED, payment_ref=data["payment"],
                                    **common)]
            case "checkout.paid", True:
                return [LedgerEvent(Action.PLEDGE_ACTIVATED, **common),
                        LedgerEvent(Action.INSTALLMENT_PAID, payment_ref=data["payment"],
                                    amount=amount, **common)]
            case "invoice.paid", _:
                return [LedgerEvent(Action.INSTALLMENT_PAID, payment_ref=data["payment"],
                                    amount=amount, **common)]
            case "subscription.cancelled", _:
                return [LedgerEvent(Action.PLEDGE_CANCELLED, **common)]
            case "subscription.updated", _:
                return [LedgerEvent(Action.PLEDGE_AMOUNT_CHANGED, amount=amount, **common)]
            case "checkout.declined", _:
                return [LedgerEvent(Action.PAYMENT_FAILED, reason="declined in the sandbox",
                                    **common)] + self._end_pledge(common, monthly)
            case "checkout.cancelled", _:
                return [LedgerEvent(Action.CHECKOUT_CANCELLED, reason="cancelled by the reader",
                                    **common)] + self._end_pledge(common, monthly)
        return []

    def _end_pledge(self, common: dict, monthly: bool) -> list[LedgerEvent]:
        """A pledge whose first payment never happened never starts."""
        return [LedgerEvent(Action.PLEDGE_CANCELLED, **common)] if monthly else []
