"""What PayPal does by itself, as webhook events (captures settling or being denied, refunds
and reversals, subscription life cycle, monthly sales, disputes), and the webhook signatures
FakePayPalServer issues and checks at /v1/notifications/verify-webhook-signature."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import random
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from .paypal_checkout import Refund, Txn
from .paypal_common import (
    Call,
    PayPalError,
    fmt,
    iso,
    link,
    money,
    money_v1,
    new_id,
    not_found,
)

_VERSIONS = {  # resource_type -> (event_version, resource_version)
    "capture": ("1.0", "2.0"),
    "refund": ("1.0", "2.0"),
    "subscription": ("1.0", "2.0"),
    "sale": ("1.0", "1.0"),
    "dispute": ("1.0", "1.0"),
}
_SALE_STATE = {"COMPLETED": "completed", "PARTIALLY_REFUNDED": "partially_refunded",
               "REFUNDED": "refunded", "PENDING": "pending", "DECLINED": "denied"}
DISPUTE_OUTCOMES = ("RESOLVED_BUYER_FAVOUR", "RESOLVED_SELLER_FAVOUR", "RESOLVED_WITH_PAYOUT",
                    "CANCELED_BY_BUYER", "ACCEPTED", "DENIED", "NONE")
_VERIFY_FIELDS = ("auth_algo", "cert_url", "transmission_id", "transmission_sig",
                  "transmission_time", "webhook_id", "webhook_event")
AUTH_ALGO = "SHA256withRSA"


@dataclass
class Dispute:
    id: str
    txn_id: str
    amount: Decimal
    currency: str
    reason: str
    stage: str
    create_time: datetime
    update_time: datetime
    status: str = "OPEN"
    outcome: str | None = None
    buyer_transaction_id: str = field(default_factory=new_id)


def _shown(amount: Decimal, currency: str) -> str:
    return f"{'$' if currency == 'USD' else currency} {fmt(amount, currency)} {currency}"


def canonical(event: Any) -> bytes:
    """The event as the signature covers it: key order and whitespace do not matter."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class EventsApi:
    """Mixin: needs self.events, self.disputes, self.webhook_id, self.cert_url,
    self.signing_key and CheckoutApi/BillingApi."""

    def _event(self, event_type: str, resource_type: str, resource: dict, summary: str) -> dict:
        event_id = f"WH-{new_id()}-{new_id()}"
        event_version, resource_version = _VERSIONS[resource_type]
        api = f"{self.url}/v1/notifications/webhooks-events/{event_id}"
        now = self.now().astimezone(UTC)
        event = {
            "id": event_id,
            "event_version": event_version,
            "create_time": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
            "resource_type": resource_type,
            "resource_version": resource_version,
            "event_type": event_type,
            "summary": summary,
            "resource": resource,
            "links": [link(api, "self"), link(f"{api}/resend", "resend", "POST")],
        }
        self.events.append(event)
        return copy.deepcopy(event)

    @staticmethod
    def _amount(value: Any) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    # --- captures ------------------------------------------------------------------------

    def capture_completed(self, capture_id: str) -> dict:
        """PAYMENT.CAPTURE.COMPLETED; a PENDING capture settles first."""
        with self.lock:
            txn = self._txn(capture_id)
            if txn.status == "PENDING":
                txn.status, txn.reason, txn.update_time = "COMPLETED", None, self.now()
            elif txn.status in ("DECLINED", "FAILED"):
                raise ValueError(f"capture {capture_id} is {txn.status}")
            return self._event("PAYMENT.CAPTURE.COMPLETED", "capture",
                               self.capture_json(txn, full=True),
                               f"Payment completed for {_shown(txn.amount, txn.currency)}")

    def capture_denied(self, capture_id: str) -> dict:
        """PAYMENT.CAPTURE.DENIED: a PENDING capture (e.g. eCheck, review) fails."""
        with self.lock:
            txn = self._txn(capture_id)
            if txn.status not in ("PENDING", "DECLINED"):
                raise ValueError(f"capture {capture_id} is {txn.status}; only PENDING is denied")
            txn.status, txn.reason, txn.update_time = "DECLINED", None, self.now()
            return self._event("PAYMENT.CAPTURE.DENIED", "capture",
                               self.capture_json(txn, full=True),
                               f"Payment denied for {_shown(txn.amount, txn.currency)}")

    def _refund_for(self, txn: Txn, amount: Any, refund_id: str | None, kind: str) -> Refund:
        if refund_id is not None:
            refund = self.refunds[refund_id]
            if refund.txn_id != txn.id:
                raise ValueError(f"refund {refund_id} belongs to {refund.txn_id}")
            return refund
        value = self._amount(amount)
        self.check_refundable(txn, None if value is None else (value, txn.currency))
        note = "Payment reversed" if kind != "refund" else None
        return self.add_refund(txn, value, kind, note_to_payer=note)

    def capture_refunded(self, capture_id: str, amount: Any = None,
                         refund_id: str | None = None) -> dict:
        """PAYMENT.CAPTURE.REFUNDED with the refund: an existing one (refund_id, e.g. made by
        the app through the API) or a new one for `amount` (default: what is left), as when
        the merchant refunds from PayPal's dashboard."""
        with self.lock:
            txn = self._txn(capture_id)
            refund = self._refund_for(txn, amount, refund_id, "refund")
            return self._event("PAYMENT.CAPTURE.REFUNDED", "refund", self.refund_json(refund),
                               f"A {_shown(refund.amount, refund.currency)} capture payment "
                               "was refunded")

    def capture_reversed(self, capture_id: str, amount: Any = None) -> dict:
        """PAYMENT.CAPTURE.REVERSED: PayPal takes the money back (chargeback, fraud)."""
        with self.lock:
            txn = self._txn(capture_id)
            refund = self._refund_for(txn, amount, None, "reversal")
            return self._event("PAYMENT.CAPTURE.REVERSED", "refund", self.refund_json(refund),
                               f"A {_shown(refund.amount, refund.currency)} capture payment "
                               "was reversed")

    # --- subscriptions -------------------------------------------------------------------

    def _sub_event(self, sub_id: str, event_type: str, summary: str) -> dict:
        sub = self._subscription(sub_id)
        return self._event(event_type, "subscription", self.subscription_json(sub), summary)

    def subscription_activated(self, sub_id: str) -> dict:
        """BILLING.SUBSCRIPTION.ACTIVATED; approves a pending subscription first."""
        with self.lock:
            sub = self._subscription(sub_id)
            if sub.status == "APPROVAL_PENDING":
                self.approve_subscription(sub_id)
            elif sub.status in ("SUSPENDED", "APPROVED"):
                self.set_subscription_status(sub, "ACTIVE")
            elif sub.status != "ACTIVE":
                raise ValueError(f"subscription {sub_id} is {sub.status}")
            return self._sub_event(sub_id, "BILLING.SUBSCRIPTION.ACTIVATED",
                                   "Subscription activated")

    def subscription_cancelled(self, sub_id: str, reason: str | None = None) -> dict:
        with self.lock:
            sub = self._subscription(sub_id)
            if sub.status != "CANCELLED":
                self.set_subscription_status(sub, "CANCELLED", reason)
            return self._sub_event(sub_id, "BILLING.SUBSCRIPTION.CANCELLED",
                                   "Subscription cancelled")

    def subscription_suspended(self, sub_id: str, reason: str | None = None) -> dict:
        with self.lock:
            sub = self._subscription(sub_id)
            if sub.status != "SUSPENDED":
                self.set_subscription_status(sub, "SUSPENDED", reason)
            return self._sub_event(sub_id, "BILLING.SUBSCRIPTION.SUSPENDED",
                                   "Subscription suspended")

    def subscription_payment_failed(self, sub_id: str) -> dict:
        """BILLING.SUBSCRIPTION.PAYMENT.FAILED: a monthly charge fails (failed_payments_count
        grows; at the plan's payment_failure_threshold the subscription is SUSPENDED)."""
        with self.lock:
            self.fail_charge(sub_id)
            return self._sub_event(sub_id, "BILLING.SUBSCRIPTION.PAYMENT.FAILED",
                                   "Subscription payment failed")

    # --- sales (monthly subscription charges) --------------------------------------------

    def sale_json(self, txn: Txn) -> dict:
        api = f"{self.url}/v1/payments/sale/{txn.id}"
        amount = money_v1(txn.amount, txn.currency)
        payload: dict[str, Any] = {
            "id": txn.id,
            "state": _SALE_STATE.get(txn.status, txn.status.lower()),
            "amount": {**amount, "details": {"subtotal": amount["total"]}},
            "payment_mode": "INSTANT_TRANSFER",
            "protection_eligibility": "ELIGIBLE",
            "protection_eligibility_type":
                "ITEM_NOT_RECEIVED_ELIGIBLE,UNAUTHORIZED_PAYMENT_ELIGIBLE",
            "transaction_fee": {"value": fmt(txn.fee, txn.currency), "currency": txn.currency},
            "billing_agreement_id": txn.subscription_id,
        }
        if txn.custom_id:
            payload["custom"] = txn.custom_id
        payload.update(create_time=iso(txn.create_time), update_time=iso(txn.update_time),
                       links=[link(api, "self"), link(f"{api}/refund", "refund", "POST")])
        return payload

    def sale_completed(self, sub_id: str) -> dict:
        """PAYMENT.SALE.COMPLETED: the subscription is charged for its current cycle (the
        price the donor chose: the plan override). Raises if it is not ACTIVE."""
        with self.lock:
            txn = self.charge(sub_id)
            return self._event("PAYMENT.SALE.COMPLETED", "sale", self.sale_json(txn),
                               f"Payment completed for {_shown(txn.amount, txn.currency)}")

    def _sale(self, sale_or_subscription_id: str) -> Txn:
        sub = self.subscriptions.get(sale_or_subscription_id)
        if sub is not None:
            if not sub.sale_ids:
                raise ValueError(f"subscription {sub.id} has no sales yet")
            return self.txns[sub.sale_ids[-1]]
        txn = self._txn(sale_or_subscription_id)
        if txn.kind != "sale":
            raise ValueError(f"{txn.id} is a capture; use capture_refunded / capture_reversed")
        return txn

    def _sale_refund_event(self, event_type: str, refund: Refund, verb: str) -> dict:
        api = f"{self.url}/v1/payments/refund/{refund.id}"
        resource = {
            "id": refund.id,
            "create_time": iso(refund.create_time),
            "update_time": iso(refund.create_time),
            "state": "completed",
            "amount": money_v1(-refund.amount, refund.currency),  # negative, as PayPal sends it
            "sale_id": refund.txn_id,
            # v1 refunds also say how much of the sale is refunded so far
            "total_refunded_amount": {"value": fmt(refund.total_after, refund.currency),
                                      "currency": refund.currency},
            "links": [link(api, "self"),
                      link(f"{self.url}/v1/payments/sale/{refund.txn_id}", "sale")],
        }
        return self._event(event_type, "sale", resource,
                           f"A {fmt(refund.amount, refund.currency)} {refund.currency} sale "
                           f"payment was {verb}")

    def sale_refunded(self, sale_id: str, amount: Any = None, refund_id: str | None = None) -> dict:
        """PAYMENT.SALE.REFUNDED for a sale (or a subscription's latest sale)."""
        with self.lock:
            txn = self._sale(sale_id)
            refund = self._refund_for(txn, amount, refund_id, "refund")
            return self._sale_refund_event("PAYMENT.SALE.REFUNDED", refund, "refunded")

    def sale_reversed(self, sale_id: str, amount: Any = None) -> dict:
        with self.lock:
            txn = self._sale(sale_id)
            refund = self._refund_for(txn, amount, None, "reversal")
            return self._sale_refund_event("PAYMENT.SALE.REVERSED", refund, "reversed")

    # --- disputes ------------------------------------------------------------------------

    def dispute_json(self, dispute: Dispute) -> dict:
        txn = self.txns[dispute.txn_id]
        disputed = {
            "buyer_transaction_id": dispute.buyer_transaction_id,
            "seller_transaction_id": txn.id,
            "create_time": iso(txn.create_time),
            "transaction_status": "COMPLETED",
            "gross_amount": money(txn.amount, txn.currency),
            "buyer": {"name": f"{txn.payer.given_name} {txn.payer.surname}"},
            "seller": {"merchant_id": self.merchant["merchant_id"], "name": "Fake Newsroom"},
        }
        if txn.custom_id:
            disputed["custom"] = txn.custom_id
        if txn.invoice_id:
            disputed["invoice_number"] = txn.invoice_id
        payload: dict[str, Any] = {
            "dispute_id": dispute.id,
            "create_time": iso(dispute.create_time),
            "update_time": iso(dispute.update_time),
            "disputed_transactions": [disputed],
            "reason": dispute.reason,
            "status": dispute.status,
            "dispute_amount": money(dispute.amount, dispute.currency),
        }
        if dispute.outcome:
            outcome: dict[str, Any] = {"outcome_code": dispute.outcome}
            if dispute.outcome == "RESOLVED_BUYER_FAVOUR":
                outcome["amount_refunded"] = money(dispute.amount, dispute.currency)
            payload["dispute_outcome"] = outcome
        payload.update(dispute_life_cycle_stage=dispute.stage, dispute_channel="INTERNAL",
                       links=[link(f"{self.url}/v1/customer/disputes/{dispute.id}", "self")])
        return payload

    def dispute_created(self, transaction_id: str, amount: Any = None,
                        reason: str = "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
                        stage: str = "INQUIRY") -> dict:
        """CUSTOMER.DISPUTE.CREATED against a capture or a sale (stage CHARGEBACK for a card
        chargeback, reason UNAUTHORISED for "I did not pay this")."""
        with self.lock:
            txn = self._txn(transaction_id)
            now = self.now()
            dispute = Dispute(f"PP-D-{random.randint(10000, 99999)}", txn.id,
                              self._amount(amount) or txn.amount, txn.currency, reason, stage,
                              now, now)
            self.disputes[dispute.id] = dispute
            return self._event("CUSTOMER.DISPUTE.CREATED", "dispute", self.dispute_json(dispute),
                               f"A new dispute opened with Case # {dispute.id}")

    def dispute_resolved(self, dispute_id: str, outcome: str = "RESOLVED_SELLER_FAVOUR") -> dict:
        """CUSTOMER.DISPUTE.RESOLVED; in the buyer's favour PayPal takes the disputed amount
        back from the transaction (it shows as refunded and in /v1/reporting/transactions)."""
        if outcome not in DISPUTE_OUTCOMES:
            raise ValueError(f"outcome must be one of {DISPUTE_OUTCOMES}")
        with self.lock:
            dispute = self.disputes[dispute_id]
            dispute.status, dispute.outcome, dispute.update_time = "RESOLVED", outcome, self.now()
            if outcome == "RESOLVED_BUYER_FAVOUR":
                txn = self.txns[dispute.txn_id]
                taken = min(dispute.amount, txn.amount - txn.refunded)
                if taken > 0:
                    self.add_refund(txn, taken, "chargeback")
            return self._event("CUSTOMER.DISPUTE.RESOLVED", "dispute", self.dispute_json(dispute),
                               f"A dispute was resolved with case # {dispute.id}")

    # --- webhook signatures --------------------------------------------------------------

    def _signature(self, transmission_id: str, transmission_time: str, webhook_id: str,
                   event: Any) -> str:
        crc = zlib.crc32(canonical(event))
        message = f"{transmission_id}|{transmission_time}|{webhook_id}|{crc}".encode()
        digest = hmac.new(self.signing_key, message, hashlib.sha512).digest()
        return base64.b64encode(b"\x01" + digest).decode()  # leading 0x01: starts with "A"

    def webhook_headers(self, event: dict) -> dict[str, str]:
        """The headers PayPal sends with `event` to our webhook endpoint; verification at
        /v1/notifications/verify-webhook-signature succeeds only for this exact event (any
        key order or whitespace) with these exact header values and our webhook id."""
        transmission_id = str(uuid.uuid1())
        transmission_time = iso(self.now())
        return {
            "Content-Type": "application/json",
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": transmission_time,
            "PAYPAL-TRANSMISSION-SIG": self._signature(
                transmission_id, transmission_time, self.webhook_id, event),
            "PAYPAL-CERT-URL": self.cert_url,
            "PAYPAL-AUTH-ALGO": AUTH_ALGO,
            "PAYPAL-AUTH-VERSION": "v2",
            "User-Agent": "PayPal/AUHD-214.0-58391792",
        }

    def webhook_request(self, event: dict) -> tuple[bytes, dict[str, str]]:
        """(body, headers) as PayPal POSTs `event` to a webhook listener."""
        return json.dumps(event).encode(), self.webhook_headers(event)

    def api_verify_webhook_signature(self, call: Call) -> tuple[int, dict]:
        body = call.body if isinstance(call.body, dict) else {}
        details = [{"field": key, "location": "body", "issue": "Required field cannot be blank"}
                   for key in _VERIFY_FIELDS if body.get(key) in (None, "")]
        if not details and not isinstance(body["webhook_event"], dict):
            details = [{"field": "webhook_event", "location": "body",
                        "issue": "Must be a webhook event object"}]
        if details:
            raise PayPalError(400, body={
                "name": "VALIDATION_ERROR", "message": "Invalid request - see details",
                "information_link": "https://developer.paypal.com/docs/api/webhooks/v1/"
                "#verify-webhook-signature_post", "details": details, "links": []})
        expected = self._signature(str(body["transmission_id"]), str(body["transmission_time"]),
                                   str(body["webhook_id"]), body["webhook_event"])
        verified = (body["webhook_id"] == self.webhook_id
                    and body["auth_algo"] == AUTH_ALGO
                    and body["cert_url"] == self.cert_url
                    and hmac.compare_digest(str(body["transmission_sig"]), expected))
        status = "SUCCESS" if verified else "FAILURE"
        self.verifications.append({"request": body, "verification_status": status})
        return 200, {"verification_status": status}

    def api_get_event(self, call: Call) -> tuple[int, dict]:
        for event in self.events:
            if event["id"] == call.args[0]:
                return 200, event
        raise not_found(call.args[0], "event_id")
