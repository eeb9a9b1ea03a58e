"""PayPal: Orders v2 for one-time gifts (captured when the reader returns), Subscriptions for
monthly pledges (a product and one plan per currency, the donor's amount as a plan override),
and webhooks verified by PayPal's verify-webhook-signature.

PayPal's quirks stay here: decimal-string amounts, custom_id, v1 sale events with negative
refund amounts, and capture-on-return. What PayPal answers at return is stored as an event
and goes through the same inbox as its webhooks.
"""

import json
import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import requests
from apimatic_core.exceptions.auth_validation_exception import AuthValidationException
from flask import url_for
from paypalserversdk.exceptions.api_exception import ApiException
from paypalserversdk.models.amount_with_breakdown import AmountWithBreakdown
from paypalserversdk.models.billing_cycle_override import BillingCycleOverride
from paypalserversdk.models.cancel_subscription_request import CancelSubscriptionRequest
from paypalserversdk.models.checkout_payment_intent import CheckoutPaymentIntent
from paypalserversdk.models.create_subscription_request import CreateSubscriptionRequest
from paypalserversdk.models.modify_subscription_request import ModifySubscriptionRequest
from paypalserversdk.models.money import Money as PayPalMoney
from paypalserversdk.models.order_request import OrderRequest
from paypalserversdk.models.payment_source import PaymentSource
from paypalserversdk.models.paypal_wallet import PaypalWallet
from paypalserversdk.models.paypal_wallet_experience_context import (
    PaypalWalletExperienceContext,
)
from paypalserversdk.models.plan_override import PlanOverride
from paypalserversdk.models.purchase_unit_request import PurchaseUnitRequest
from paypalserversdk.models.refund_request import RefundRequest
from paypalserversdk.models.subscription_application_context import (
    SubscriptionApplicationContext,
)
from paypalserversdk.models.subscription_pricing_scheme import SubscriptionPricingScheme

from donate.ledger.events import LedgerEvent
from donate.ledger.models import Donation, Pledge
from donate.ledger.states import Action
from donate.money import Money, to_minor
from donate.payments.base import (
    Checkout,
    CheckoutUnavailable,
    CheckoutUrls,
    InboundEvent,
    Provider,
    ProviderError,
    WebhookRejected,
)
from donate.payments.providers import paypal_plans
from donate.payments.providers.paypal_api import PayPalHttp, sdk_client

log = logging.getLogger("donate.paypal")
UNAVAILABLE = "PayPal is not available right now."
#: Failures of PayPal itself or of the way to it, as the SDK and requests raise them.
PAYPAL_FAILURES = (ApiException, AuthValidationException, requests.RequestException)
VERIFY_HEADERS = {"auth_algo": "PAYPAL-AUTH-ALGO", "cert_url": "PAYPAL-CERT-URL",
                  "transmission_id": "PAYPAL-TRANSMISSION-ID",
                  "transmission_sig": "PAYPAL-TRANSMISSION-SIG",
                  "transmission_time": "PAYPAL-TRANSMISSION-TIME"}


class PayPalProvider(Provider):
    name = "paypal"
    label = "PayPal"
    checkout_origins = ("https://www.paypal.com", "https://www.sandbox.paypal.com")

    def __init__(self, base_url: str, client_id: str, secret: str, webhook_id: str,
                 org_name: str, timeout_seconds: float = 10) -> None:
        self.sdk = sdk_client(base_url, client_id, secret, timeout_seconds)
        self.http = PayPalHttp(base_url, client_id, secret, timeout_seconds)
        self.webhook_id = webhook_id
        self.org_name = org_name

    # -- checkout ---------------------------------------------------------------------------

    def start_checkout(self, donation: Donation, urls: CheckoutUrls) -> Checkout:
        returned = url_for("paypal.returned", donation_id=donation.public_id, _external=True)
        try:
            if donation.pledge:
                return self._subscribe(donation, returned, urls.cancel)
            return self._order(donation, returned, urls.cancel)
        except PAYPAL_FAILURES as error:
            log.warning("paypal checkout failed", extra={"donation": donation.public_id,
                                                         "error": type(error).__name__})
            raise CheckoutUnavailable(UNAVAILABLE) from error

    def _order(self, donation: Donation, return_url: str, cancel_url: str) -> Checkout:
        context = PaypalWalletExperienceContext(
            return_url=return_url, cancel_url=cancel_url, brand_name=self.org_name[:127],
            user_action="PAY_NOW", shipping_preference="NO_SHIPPING")
        body = OrderRequest(
            intent=CheckoutPaymentIntent.CAPTURE,
            purchase_units=[PurchaseUnitRequest(
                amount=AmountWithBreakdown(currency_code=donation.currency,
                                           value=donation.charged.major_text()),
                custom_id=donation.public_id, description=f"Donation to {self.org_name}"[:127])],
            payment_source=PaymentSource(paypal=PaypalWallet(experience_context=context)))
        order = self.sdk.orders.create_order({
            "body": body, "paypal_request_id": f"order-{donation.public_id}"}).body
        return Checkout(redirect_url=_link(order.links, "payer-action", "approve"),
                        provider_ref=order.id)

    def _subscribe(self, donation: Donation, return_url: str, cancel_url: str) -> Checkout:
        pledge = donation.pledge
        price = PayPalMoney(currency_code=pledge.currency, value=pledge.charged.major_text())
        body = CreateSubscriptionRequest(
            plan_id=paypal_plans.plan_for(self, pledge.currency), custom_id=pledge.public_id,
            plan=PlanOverride(billing_cycles=[BillingCycleOverride(
                sequence=1, pricing_scheme=SubscriptionPricingScheme(fixed_price=price))]),
            application_context=SubscriptionApplicationContext(
                return_url=return_url, cancel_url=cancel_url, brand_name=self.org_name[:127],
                shipping_preference="NO_SHIPPING", user_action="SUBSCRIBE_NOW"))
        subscription = self.sdk.subscriptions.create_subscription({
            "body": body, "paypal_request_id": f"subscription-{pledge.public_id}"}).body
        return Checkout(redirect_url=_link(subscription.links, "approve"),
                        provider_ref=subscription.id, subscription_ref=subscription.id)

    def on_return(self, donation: Donation) -> InboundEvent:
        """What PayPal says when the reader comes back: capture the order (once, however
        often the page is reloaded) or read the subscription; stored like a webhook event."""
        try:
            if donation.pledge:
                answer = self.sdk.subscriptions.get_subscription({"id": donation.checkout_ref,
                                                                  "fields": "plan"})
                return InboundEvent(f"return-{donation.checkout_ref}", "RETURN.SUBSCRIPTION",
                                    json.dumps({"resource": json.loads(answer.text)}))
            answer = self.sdk.orders.capture_order({
                "id": donation.checkout_ref, "paypal_request_id": f"capture-{donation.public_id}",
                "prefer": "return=representation"})
        except PAYPAL_FAILURES as error:
            raise ProviderError("We could not confirm your payment with PayPal yet.") from error
        return InboundEvent(f"capture-{donation.checkout_ref}", "RETURN.ORDER.CAPTURED",
                            json.dumps({"resource": json.loads(answer.text)}))

    # -- webhooks ---------------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> InboundEvent:
        try:
            event = json.loads(raw_body)
            event_id, event_type = str(event["id"]), str(event["event_type"])
        except (ValueError, KeyError, TypeError, RecursionError):
            raise WebhookRejected("body is not a PayPal event") from None
        check = {field: headers.get(header) for field, header in VERIFY_HEADERS.items()}
        if not all(check.values()):
            raise WebhookRejected("PayPal transmission headers missing")
        try:
            answer = self.http.post("/v1/notifications/verify-webhook-signature",
                                    {**check, "webhook_id": self.webhook_id,
                                     "webhook_event": event})
        except requests.HTTPError as refused:
            raise WebhookRejected(f"PayPal refused to verify: {refused}") from None
        if answer.get("verification_status") != "SUCCESS":
            raise WebhookRejected("PayPal says the signature does not verify")
        return InboundEvent(event_id, event_type, raw_body.decode())

    def event_object(self, body: dict) -> tuple[dict, datetime]:
        return body["resource"], _when(body.get("create_time"))

    # -- translators: one per event type we act on --------------------------------------------

    def _captured(self, order: dict, when: datetime) -> list[LedgerEvent]:
        """Our own capture at return: COMPLETED pays, DECLINED fails, PENDING waits."""
        [unit] = order["purchase_units"]
        [capture] = unit["payments"]["captures"]
        payer = order.get("payer") or {}
        name = " ".join(filter(None, [(payer.get("name") or {}).get("given_name"),
                                      (payer.get("name") or {}).get("surname")])) or None
        return self._capture_status(capture, when, email=payer.get("email_address"),
                                    name=name, checkout_ref=order["id"])

    def _capture_status(self, capture: dict, when: datetime, **refs) -> list[LedgerEvent]:
        action = {"COMPLETED": Action.PAYMENT_SUCCEEDED, "DECLINED": Action.PAYMENT_FAILED,
                  "FAILED": Action.PAYMENT_FAILED}.get(capture["status"])
        if action is None:
            return []  # PENDING (e.g. an eCheck): PAYMENT.CAPTURE.COMPLETED follows
        return [LedgerEvent(action, when, donation_ref=capture.get("custom_id"),
                            payment_ref=capture["id"], reason="PayPal declined the payment"
                            if action is Action.PAYMENT_FAILED else None, **refs)]

    def _capture_event(self, capture: dict, when: datetime) -> list[LedgerEvent]:
        return self._capture_status(capture, when)

    def _capture_refunded(self, refund: dict, when: datetime) -> list[LedgerEvent]:
        total = refund["seller_payable_breakdown"]["total_refunded_amount"]
        return [LedgerEvent(Action.REFUNDED, when, donation_ref=refund.get("custom_id"),
                            payment_ref=_link_id(refund["links"], "up"),
                            amount=_money(total["value"], total["currency_code"]))]

    def _capture_reversed(self, refund: dict, when: datetime) -> list[LedgerEvent]:
        return [LedgerEvent(Action.DISPUTE_LOST, when, donation_ref=refund.get("custom_id"),
                            payment_ref=_link_id(refund["links"], "up"))]

    def _subscription_returned(self, subscription: dict, when: datetime) -> list[LedgerEvent]:
        refs = {"pledge_ref": subscription.get("custom_id"), "subscription_ref": subscription["id"]}
        events = []
        price = _current_price(subscription)
        if price is not None:
            events.append(LedgerEvent(Action.PLEDGE_AMOUNT_CHANGED, when, amount=price, **refs))
        action = SUBSCRIPTION_STATUS_ACTIONS.get(subscription["status"])
        if action is not None:  # APPROVAL_PENDING, APPROVED: ACTIVATED follows by webhook
            events.append(LedgerEvent(action, when, **refs))
        return events

    def _subscription_payment_failed(self, subscription: dict,
                                     when: datetime) -> list[LedgerEvent]:
        return [LedgerEvent(Action.INSTALLMENT_FAILED, when,
                            pledge_ref=subscription.get("custom_id"),
                            subscription_ref=subscription["id"])]

    def _sale_completed(self, sale: dict, when: datetime) -> list[LedgerEvent]:
        amount = sale["amount"]
        return [LedgerEvent(Action.INSTALLMENT_PAID, when, pledge_ref=sale.get("custom"),
                            subscription_ref=sale["billing_agreement_id"],
                            payment_ref=sale["id"],
                            amount=_money(amount["total"], amount["currency"]))]

    def _sale_refunded(self, refund: dict, when: datetime) -> list[LedgerEvent]:
        # v1 refunds carry the amount of this refund (negative); the total so far when given.
        total = refund.get("total_refunded_amount") or {
            "value": str(abs(Decimal(refund["amount"]["total"]))),
            "currency": refund["amount"]["currency"]}
        return [LedgerEvent(Action.REFUNDED, when, payment_ref=refund["sale_id"],
                            amount=_money(total["value"], total["currency"]))]

    def _sale_reversed(self, refund: dict, when: datetime) -> list[LedgerEvent]:
        return [LedgerEvent(Action.DISPUTE_LOST, when, payment_ref=refund["sale_id"])]

    def _dispute(self, dispute: dict, when: datetime) -> list[LedgerEvent]:
        outcome = (dispute.get("dispute_outcome") or {}).get("outcome_code")
        action = DISPUTE_ACTIONS.get(outcome) if outcome else Action.DISPUTE_OPENED
        if action is None:
            return []  # e.g. RESOLVED_WITH_PAYOUT, CANCELED_BY_BUYER: nothing changes for us
        return [LedgerEvent(action, when, payment_ref=txn["seller_transaction_id"])
                for txn in dispute["disputed_transactions"]]

    # -- provider operations ------------------------------------------------------------------

    def cancel_pledge(self, pledge: Pledge) -> None:
        try:
            self.sdk.subscriptions.cancel_subscription({
                "id": pledge.provider_ref,
                "body": CancelSubscriptionRequest(reason="Cancelled at the donor's request")})
        except PAYPAL_FAILURES as error:
            raise ProviderError("PayPal would not cancel the subscription right now.") from error

    def change_pledge_amount(self, pledge: Pledge, amount: Money, return_url: str) -> str:
        """PayPal asks the donor to approve a new price: the link they must follow."""
        price = PayPalMoney(currency_code=amount.currency, value=amount.major_text())
        body = ModifySubscriptionRequest(
            plan=PlanOverride(billing_cycles=[BillingCycleOverride(
                sequence=1, pricing_scheme=SubscriptionPricingScheme(fixed_price=price))]),
            application_context=SubscriptionApplicationContext(
                return_url=return_url, cancel_url=return_url, brand_name=self.org_name[:127],
                shipping_preference="NO_SHIPPING"))
        try:
            answer = self.sdk.subscriptions.revise_subscription({"id": pledge.provider_ref,
                                                                 "body": body}).body
        except PAYPAL_FAILURES as error:
            raise ProviderError("PayPal would not change the monthly donation now.") from error
        return _link(answer.links, "approve")

    def payment_method_url(self, pledge: Pledge, return_url: str) -> str:
        # PayPal has no API for a subscriber's funding source: donors change it in their
        # PayPal account's automatic payments.
        return "https://www.paypal.com/myaccount/autopay/"

    def refund(self, donation: Donation, amount: Money | None = None) -> None:
        if donation.kind == "installment":
            raise ProviderError("Refund PayPal subscription payments in PayPal's dashboard; "
                                "the ledger follows PayPal's event.")
        left = Money(donation.charged_minor - donation.refunded_minor, donation.currency)
        body = RefundRequest(amount=PayPalMoney(currency_code=donation.currency,
                                                value=(amount or left).major_text()))
        try:
            self.sdk.payments.refund_captured_payment({
                "capture_id": donation.payment_ref, "body": body,
                "paypal_request_id": f"refund-{donation.public_id}-{donation.refunded_minor}"})
        except PAYPAL_FAILURES as error:
            raise ProviderError(f"PayPal refused the refund: {error}") from error

    def reconcile(self, since: datetime) -> Iterator[InboundEvent]:
        """Completed captures and subscription sales since `since`, from transaction search
        (31 days a request), as the events we should have had."""
        start = since.replace(tzinfo=UTC)
        end = datetime.now(UTC) + timedelta(seconds=1)  # whole seconds: round up, not down
        while start < end:
            stop = min(start + timedelta(days=31), end)
            yield from self._transactions(start, stop)
            start = stop

    def _transactions(self, start: datetime, end: datetime) -> Iterator[InboundEvent]:
        page, pages = 1, 1
        while page <= pages:
            answer = json.loads(self.sdk.transaction_search.search_transactions({
                "start_date": start.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "end_date": end.strftime("%Y-%m-%dT%H:%M:%S+0000"), "fields": "all",
                "page_size": 500, "page": page}).text)
            pages = answer.get("total_pages", 1)
            for item in answer.get("transaction_details", []):
                event = paypal_plans.transaction_as_event(item)
                if event is not None:
                    yield event
            page += 1


def _current_price(subscription: dict) -> Money | None:
    """The price a subscription charges, where PayPal tells it (fields=plan, or the event)."""
    cycles = (subscription.get("plan") or {}).get("billing_cycles") or []
    fixed = ((cycles[0] if cycles else {}).get("pricing_scheme") or {}).get("fixed_price")
    return _money(fixed["value"], fixed["currency_code"]) if fixed else None


def _link(links, *relations: str) -> str:
    for relation in relations:
        for link in links or []:
            if link.rel == relation:
                return link.href
    raise ProviderError(f"PayPal sent no {relations[0]} link")


def _link_id(links: list[dict], relation: str) -> str:
    return next(link["href"] for link in links if link["rel"] == relation).rsplit("/", 1)[-1]


def _when(stamp: str | None) -> datetime:
    if not stamp:
        return datetime.now(UTC).replace(tzinfo=None)
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC).replace(
        tzinfo=None)


def _money(value: str, currency: str) -> Money:
    return Money(to_minor(Decimal(value), currency), currency)


SUBSCRIPTION_STATUS_ACTIONS = {"ACTIVE": Action.PLEDGE_ACTIVATED,
                               "SUSPENDED": Action.INSTALLMENT_FAILED,
                               "CANCELLED": Action.PLEDGE_CANCELLED,
                               "EXPIRED": Action.PLEDGE_CANCELLED}
DISPUTE_ACTIONS = {"RESOLVED_SELLER_FAVOUR": Action.DISPUTE_WON,
                   "RESOLVED_BUYER_FAVOUR": Action.DISPUTE_LOST}


PayPalProvider.translators = {
    "RETURN.ORDER.CAPTURED": PayPalProvider._captured,
    "RETURN.SUBSCRIPTION": PayPalProvider._subscription_returned,
    "PAYMENT.CAPTURE.COMPLETED": PayPalProvider._capture_event,
    "PAYMENT.CAPTURE.DENIED": PayPalProvider._capture_event,
    "PAYMENT.CAPTURE.REFUNDED": PayPalProvider._capture_refunded,
    "PAYMENT.CAPTURE.REVERSED": PayPalProvider._capture_reversed,
    "BILLING.SUBSCRIPTION.ACTIVATED": PayPalProvider._subscription_returned,
    "BILLING.SUBSCRIPTION.UPDATED": PayPalProvider._subscription_returned,
    "BILLING.SUBSCRIPTION.CANCELLED": PayPalProvider._subscription_returned,
    "BILLING.SUBSCRIPTION.EXPIRED": PayPalProvider._subscription_returned,
    "BILLING.SUBSCRIPTION.SUSPENDED": PayPalProvider._subscription_returned,
    "BILLING.SUBSCRIPTION.PAYMENT.FAILED": PayPalProvider._subscription_payment_failed,
    "PAYMENT.SALE.COMPLETED": PayPalProvider._sale_completed,
    "PAYMENT.SALE.REFUNDED": PayPalProvider._sale_refunded,
    "PAYMENT.SALE.REVERSED": PayPalProvider._sale_reversed,
    "CUSTOMER.DISPUTE.CREATED": PayPalProvider._dispute,
    "CUSTOMER.DISPUTE.RESOLVED": PayPalProvider._dispute,
}
