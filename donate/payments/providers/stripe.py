"""Stripe: Checkout Sessions for one-time gifts and monthly pledges, verified webhooks.

Everything Stripe-shaped stays in this module: bracketed params, lower-case currencies,
where the current API version keeps an invoice's subscription, which events mean what.
"""

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

import stripe
from flask_babel import lazy_gettext

from donate.ledger.events import LedgerEvent, MalformedEvent
from donate.ledger.models import Donation, Pledge
from donate.ledger.states import Action
from donate.money import Money
from donate.payments.base import (
    Checkout,
    CheckoutUnavailable,
    CheckoutUrls,
    InboundEvent,
    Provider,
    ProviderError,
    WebhookRejected,
)

log = logging.getLogger("donate.stripe")
UNAVAILABLE = "Card payments are not available right now."


def _network_cause(error: stripe.StripeError) -> str | None:
    """What the network said when Stripe could not be reached ("ReadTimeout: ...", "...
    Connection refused"), so that an operator can tell a timeout from a refusal; None when
    Stripe answered, as its messages may quote what a donor typed."""
    cause = error.__context__
    if not isinstance(error, stripe.APIConnectionError) or cause is None:
        return None
    return f"{type(cause).__name__}: {cause}"[:300]


class StripeProvider(Provider):
    name = "stripe"
    label = lazy_gettext("Card")
    checkout_origins = ("https://checkout.stripe.com",)

    def __init__(self, secret_key: str, webhook_secret: str, api_base: str, org_name: str,
                 timeout_seconds: float = 10) -> None:
        # No SDK retries: a reader waits at most one timeout, and a failure is answered with
        # a message rather than a storm of retries; the idempotency key makes their retry safe.
        self.client = stripe.StripeClient(
            secret_key, base_addresses={"api": api_base}, max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=timeout_seconds))
        self.webhook_secret = webhook_secret
        self.live = secret_key.startswith(("sk_live_", "rk_live_"))
        self.org_name = org_name

    def start_checkout(self, donation: Donation, urls: CheckoutUrls) -> Checkout:
        try:
            session = self.client.v1.checkout.sessions.create(
                params=self._session_params(donation, urls),
                # Deterministic: a retried request for this donation gets the same session.
                options={"idempotency_key": f"checkout-{donation.public_id}"})
        except stripe.StripeError as error:
            log.warning("stripe checkout failed", extra={
                "donation": donation.public_id, "http_status": error.http_status,
                "stripe_error": type(error).__name__, "stripe_code": error.code,
                "network_error": _network_cause(error)})
            raise CheckoutUnavailable(UNAVAILABLE) from error
        return Checkout(redirect_url=session.url, provider_ref=session.id)

    def _session_params(self, donation: Donation, urls: CheckoutUrls) -> dict:
        pledge = donation.pledge
        price = {"currency": donation.currency.lower(), "unit_amount": donation.charged_minor,
                 "product_data": {"name": f"{'Monthly donation' if pledge else 'Donation'} "
                                          f"to {self.org_name}"}}
        metadata = {"donation": donation.public_id}
        params: dict = {"success_url": urls.success, "cancel_url": urls.cancel,
                        "client_reference_id": donation.public_id,
                        "line_items": [{"price_data": price, "quantity": 1}]}
        if donation.donor:
            params["customer_email"] = donation.donor.email
        if pledge:
            metadata["pledge"] = pledge.public_id
            price["recurring"] = {"interval": "month"}
            params.update(mode="subscription", subscription_data={"metadata": metadata})
        else:
            params.update(mode="payment", submit_type="donate",
                          payment_intent_data={"metadata": metadata})
        params["metadata"] = metadata
        return params

    def verify_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> InboundEvent:
        try:
            event = stripe.Webhook.construct_event(raw_body.decode(),
                                                   headers.get("Stripe-Signature"),
                                                   self.webhook_secret)
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError,
                TypeError) as bad:  # TypeError: the SDK compares a non-ASCII signature
            raise WebhookRejected(f"Stripe signature check failed: {bad}") from None
        if bool(event.livemode) != self.live:
            raise WebhookRejected("event is from the other mode (live/test) than our key")
        return InboundEvent(event.id, event.type, raw_body.decode())

    def event_object(self, body: dict) -> tuple[dict, datetime]:
        return body["data"]["object"], datetime.fromtimestamp(body["created"], UTC).replace(
            tzinfo=None)

    # -- checkout sessions ------------------------------------------------------------------

    def _session_completed(self, session: dict, when: datetime) -> list[LedgerEvent]:
        refs = _session_refs(session, when)
        details = session.get("customer_details") or {}
        if session["mode"] == "subscription":
            return [LedgerEvent(Action.PLEDGE_ACTIVATED, subscription_ref=session["subscription"],
                                **refs)]
        if session["payment_status"] != "paid":
            return []  # a delayed method (bank debit): async_payment_succeeded will follow
        return [LedgerEvent(Action.PAYMENT_SUCCEEDED, payment_ref=session["payment_intent"],
                            email=details.get("email"), name=details.get("name"), **refs)]

    def _async_succeeded(self, session: dict, when: datetime) -> list[LedgerEvent]:
        details = session.get("customer_details") or {}
        return [LedgerEvent(Action.PAYMENT_SUCCEEDED, payment_ref=session["payment_intent"],
                            email=details.get("email"), name=details.get("name"),
                            **_session_refs(session, when))]

    def _async_failed(self, session: dict, when: datetime) -> list[LedgerEvent]:
        return [LedgerEvent(Action.PAYMENT_FAILED, reason="the bank declined the payment",
                            **_session_refs(session, when))]

    def _session_expired(self, session: dict, when: datetime) -> list[LedgerEvent]:
        events = [LedgerEvent(Action.CHECKOUT_CANCELLED, reason="checkout expired unpaid",
                              **_session_refs(session, when))]
        if session["mode"] == "subscription":
            events.append(LedgerEvent(Action.PLEDGE_CANCELLED, **_session_refs(session, when)))
        return events

    # -- subscriptions and invoices ---------------------------------------------------------

    def _invoice_paid(self, invoice: dict, when: datetime) -> list[LedgerEvent]:
        subscription, metadata = _invoice_subscription(invoice)
        if subscription is None:
            return []  # an invoice that is not a pledge's (sent by hand in the dashboard)
        return [LedgerEvent(Action.INSTALLMENT_PAID, occurred_at=when,
                            subscription_ref=subscription, pledge_ref=metadata.get("pledge"),
                            payment_ref=invoice["id"],
                            amount=_money(invoice["amount_paid"], invoice["currency"]),
                            email=invoice.get("customer_email"),
                            name=invoice.get("customer_name"))]

    def _invoice_failed(self, invoice: dict, when: datetime) -> list[LedgerEvent]:
        subscription, metadata = _invoice_subscription(invoice)
        if subscription is None:
            return []
        return [LedgerEvent(Action.INSTALLMENT_FAILED, occurred_at=when,
                            subscription_ref=subscription, pledge_ref=metadata.get("pledge"))]

    def _subscription_changed(self, subscription: dict, when: datetime) -> list[LedgerEvent]:
        refs = {"occurred_at": when, "subscription_ref": subscription["id"],
                "pledge_ref": (subscription.get("metadata") or {}).get("pledge")}
        [item] = subscription["items"]["data"]
        events = [LedgerEvent(Action.PLEDGE_AMOUNT_CHANGED, amount=_money(
            item["price"]["unit_amount"] * item.get("quantity", 1), item["price"]["currency"]),
            **refs)]
        action = SUBSCRIPTION_STATUS_ACTIONS.get(subscription["status"])
        return events + ([LedgerEvent(action, **refs)] if action else [])

    # -- charges: refunds and disputes ------------------------------------------------------

    def _charge_refunded(self, charge: dict, when: datetime) -> list[LedgerEvent]:
        return [LedgerEvent(Action.REFUNDED, occurred_at=when,
                            amount=_money(charge["amount_refunded"], charge["currency"]),
                            **self._payment_refs(charge))]

    def _dispute_created(self, dispute: dict, when: datetime) -> list[LedgerEvent]:
        return [LedgerEvent(Action.DISPUTE_OPENED, occurred_at=when,
                            **self._payment_refs(dispute))]

    def _dispute_closed(self, dispute: dict, when: datetime) -> list[LedgerEvent]:
        action = {"won": Action.DISPUTE_WON, "lost": Action.DISPUTE_LOST}.get(dispute["status"])
        if action is None:
            return []  # warning_closed: an inquiry that never became a dispute
        return [LedgerEvent(action, occurred_at=when, **self._payment_refs(dispute))]

    def _payment_refs(self, charge_or_dispute: dict) -> dict:
        """Which donation a charge belongs to: ours by metadata, else its invoice or intent.

        A pledge's installments are known to us by invoice; a charge only names its payment
        intent, so ask Stripe which invoice that paid (current API: invoice payments).
        """
        metadata = charge_or_dispute.get("metadata") or {}
        if metadata.get("donation"):
            return {"donation_ref": metadata["donation"]}
        intent = charge_or_dispute.get("payment_intent")
        if not intent:
            raise MalformedEvent("charge without a payment intent")
        payments = self.client.v1.invoice_payments.list(params={
            "payment": {"type": "payment_intent", "payment_intent": intent}, "limit": 1})
        if payments.data:
            return {"payment_ref": payments.data[0].invoice}
        return {"payment_ref": intent}

    # -- provider operations ----------------------------------------------------------------

    def cancel_pledge(self, pledge: Pledge) -> None:
        with _refused_as("Stripe would not cancel the monthly donation right now."):
            self.client.v1.subscriptions.cancel(pledge.provider_ref)

    def change_pledge_amount(self, pledge: Pledge, amount: Money, return_url: str) -> None:
        with _refused_as("Stripe would not change the monthly donation right now."):
            subscription = self.client.v1.subscriptions.retrieve(pledge.provider_ref)
            item = subscription["items"].data[0]
            self.client.v1.subscriptions.update(pledge.provider_ref, params={
                "items": [{"id": item.id, "price_data": {
                    "currency": amount.currency.lower(), "unit_amount": amount.minor,
                    "product": item.price.product, "recurring": {"interval": "month"}}}],
                "proration_behavior": "none"})  # from the next month, no part-month charges

    def payment_method_url(self, pledge: Pledge, return_url: str) -> str:
        with _refused_as("Stripe's card page is not available right now."):
            subscription = self.client.v1.subscriptions.retrieve(pledge.provider_ref)
            portal = self.client.v1.billing_portal.sessions.create(params={
                "customer": subscription.customer, "return_url": return_url})
        return portal.url

    def refund(self, donation: Donation, amount: Money | None = None) -> None:
        params: dict = {"payment_intent": self._payment_intent_of(donation),
                        "metadata": {"donation": donation.public_id}}
        if amount is not None:
            params["amount"] = amount.minor
        try:
            self.client.v1.refunds.create(params=params)
        except stripe.StripeError as error:
            raise ProviderError(f"Stripe refused the refund: {error.user_message or error}"
                                ) from error

    def _payment_intent_of(self, donation: Donation) -> str:
        """One-time gifts are known by payment intent, installments by invoice."""
        if not donation.payment_ref.startswith("in_"):
            return donation.payment_ref
        payments = self.client.v1.invoice_payments.list(params={"invoice": donation.payment_ref})
        return payments.data[0].payment.payment_intent

    def reconcile(self, since: datetime) -> Iterator[InboundEvent]:
        """Paid checkout sessions and invoices since `since`, as the events we should have had.

        Their ids are the objects' own, so reconciling twice stores nothing new; an event the
        ledger already applied under Stripe's event id changes nothing when applied again.
        """
        created = {"gte": int(since.replace(tzinfo=UTC).timestamp())}
        sessions = self.client.v1.checkout.sessions.list(
            params={"created": created, "status": "complete", "limit": 100})
        for session in sessions.auto_paging_iter():
            if session.payment_status == "paid":
                yield _as_event("checkout.session.completed", session)
        invoices = self.client.v1.invoices.list(
            params={"created": created, "status": "paid", "limit": 100})
        for invoice in invoices.auto_paging_iter():
            yield _as_event("invoice.paid", invoice)


def _as_event(type_: str, obj) -> InboundEvent:
    payload = {"id": f"reconcile_{obj.id}", "object": "event", "type": type_,
               "created": obj.created, "data": {"object": obj.to_dict()}}
    return InboundEvent(payload["id"], type_, json.dumps(payload, default=str))  # Decimals


@contextmanager
def _refused_as(message: str):
    try:
        yield
    except stripe.StripeError as error:
        raise ProviderError(message) from error


def _session_refs(session: dict, when: datetime) -> dict:
    metadata = session.get("metadata") or {}
    return {"occurred_at": when, "checkout_ref": session["id"],
            "donation_ref": metadata.get("donation") or session.get("client_reference_id"),
            "pledge_ref": metadata.get("pledge")}


def _invoice_subscription(invoice: dict) -> tuple[str | None, dict]:
    """Where current API versions keep an invoice's subscription (and its metadata)."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return details.get("subscription"), details.get("metadata") or {}


def _money(minor: int, currency: str) -> Money:
    return Money(minor, currency.upper())


#: Stripe's subscription statuses that change a pledge; others (trialing, ...) change nothing.
SUBSCRIPTION_STATUS_ACTIONS = {
    "active": Action.PLEDGE_ACTIVATED,
    "past_due": Action.INSTALLMENT_FAILED,
    "unpaid": Action.INSTALLMENT_FAILED,
    "canceled": Action.PLEDGE_CANCELLED,
    "incomplete_expired": Action.PLEDGE_CANCELLED,
}

StripeProvider.translators = {
    "checkout.session.completed": StripeProvider._session_completed,
    "checkout.session.async_payment_succeeded": StripeProvider._async_succeeded,
    "checkout.session.async_payment_failed": StripeProvider._async_failed,
    "checkout.session.expired": StripeProvider._session_expired,
    "invoice.paid": StripeProvider._invoice_paid,
    "invoice.payment_failed": StripeProvider._invoice_failed,
    "customer.subscription.updated": StripeProvider._subscription_changed,
    "customer.subscription.deleted": StripeProvider._subscription_changed,
    "charge.refunded": StripeProvider._charge_refunded,
    "charge.dispute.created": StripeProvider._dispute_created,
    "charge.dispute.closed": StripeProvider._dispute_closed,
}
