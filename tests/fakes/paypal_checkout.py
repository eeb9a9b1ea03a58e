"""Orders v2 and Payments v2 of FakePayPalServer: orders (create, get, capture), the buyer's
approval, captures (get, refund), refunds (get), and the transaction records they leave."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from .paypal_common import (
    PAYPAL_CURRENCIES,
    Call,
    Checks,
    PayPalError,
    fail,
    iso,
    issue,
    link,
    money,
    new_id,
    not_found,
    payer_id,
)

CAPTURE_OUTCOMES = ("COMPLETED", "PENDING", "DECLINED", "INSTRUMENT_DECLINED")
_EXPERIENCE_ENUMS = {
    "shipping_preference": ("GET_FROM_FILE", "NO_SHIPPING", "SET_PROVIDED_ADDRESS"),
    "user_action": ("CONTINUE", "PAY_NOW"),
    "landing_page": ("LOGIN", "GUEST_CHECKOUT", "NO_PREFERENCE", "BILLING"),
}


@dataclass
class Payer:
    payer_id: str = field(default_factory=payer_id)
    email_address: str = "buyer@example.com"
    given_name: str = "John"
    surname: str = "Doe"
    country_code: str = "US"

    def as_payer(self) -> dict:
        return {
            "name": {"given_name": self.given_name, "surname": self.surname},
            "email_address": self.email_address,
            "payer_id": self.payer_id,
            "address": {"country_code": self.country_code},
        }

    def as_paypal_source(self) -> dict:
        return {
            "email_address": self.email_address,
            "account_id": self.payer_id,
            "account_status": "VERIFIED",
            "name": {"given_name": self.given_name, "surname": self.surname},
            "address": {"country_code": self.country_code},
        }


@dataclass
class Unit:
    reference_id: str
    amount: Decimal
    currency: str
    request: dict  # the purchase unit as sent (amount, custom_id, invoice_id, description, ...)
    capture_id: str | None = None


@dataclass
class Order:
    id: str
    status: str  # CREATED | PAYER_ACTION_REQUIRED | APPROVED | COMPLETED
    units: list[Unit]
    payment_source: bool  # created with payment_source.paypal (the payer-action flow)
    return_url: str | None
    cancel_url: str | None
    create_time: datetime
    update_time: datetime
    payer: Payer | None = None
    outcome: tuple[str, str | None] = ("COMPLETED", None)  # what capturing will do


@dataclass
class Txn:
    """A capture (Orders checkout) or a sale (a subscription's monthly charge)."""

    id: str
    kind: str  # capture | sale
    amount: Decimal
    currency: str
    fee: Decimal
    status: str  # COMPLETED PENDING DECLINED PARTIALLY_REFUNDED REFUNDED
    create_time: datetime
    update_time: datetime
    payer: Payer
    custom_id: str | None = None
    invoice_id: str | None = None
    reason: str | None = None  # status_details.reason while PENDING
    order_id: str | None = None
    subscription_id: str | None = None
    refunded: Decimal = Decimal(0)  # refunds and reversals together
    refund_ids: list[str] = field(default_factory=list)


@dataclass
class Refund:
    id: str
    txn_id: str
    amount: Decimal
    currency: str
    total_after: Decimal  # total refunded on the transaction once this one is counted
    create_time: datetime
    kind: str = "refund"  # refund | reversal | chargeback
    custom_id: str | None = None
    invoice_id: str | None = None
    note_to_payer: str | None = None


class CheckoutApi:
    """Mixin: needs self.lock, self.url, self.now(), self.strict_amounts, self.orders,
    self.txns, self.refunds, self.fee_percent, self.fee_fixed, self.merchant."""

    # --- helpers -------------------------------------------------------------------------

    def fee_for(self, amount: Decimal, currency: str) -> Decimal:
        quantum = Decimal(1).scaleb(-PAYPAL_CURRENCIES.get(currency, 2))
        fixed = self.fee_fixed.get(currency, Decimal("0.30") if quantum < 1 else Decimal(30))
        raw = amount * self.fee_percent / 100 + fixed
        return min(raw.quantize(quantum, rounding=ROUND_HALF_UP), amount)

    def _order(self, order_id: str) -> Order:
        order = self.orders.get(order_id)
        if order is None:
            raise not_found(order_id)
        return order

    def _txn(self, txn_id: str) -> Txn:
        txn = self.txns.get(txn_id)
        if txn is None:
            raise not_found(txn_id, "capture_id")
        return txn

    def approve_url(self, resource_id: str) -> str:
        return f"{self.url}/approve/{resource_id}"

    # --- Orders v2 -------------------------------------------------------------------------

    def api_create_order(self, call: Call) -> tuple[int, dict]:
        body = call.body
        c = Checks("orders", self.strict_amounts)
        intent = c.text(body, "intent", "/intent", required=True, max_length=255,
                        enum=("CAPTURE", "AUTHORIZE"))
        units: list[Unit] = []
        raw_units = c.array(body, "purchase_units", "/purchase_units", required=True, max_items=10)
        for i, unit in enumerate(raw_units):
            pointer = f"/purchase_units/{i}"
            if not isinstance(unit, dict):
                c.add("syntax", pointer)
                continue
            amount = c.money(unit, "amount", f"{pointer}/amount", required=True)
            reference = c.text(unit, "reference_id", f"{pointer}/reference_id", max_length=256)
            c.text(unit, "custom_id", f"{pointer}/custom_id", max_length=127)
            c.text(unit, "invoice_id", f"{pointer}/invoice_id", max_length=127)
            c.text(unit, "description", f"{pointer}/description", max_length=127)
            c.text(unit, "soft_descriptor", f"{pointer}/soft_descriptor", max_length=22)
            if amount is not None:
                units.append(Unit(reference or "default", amount[0], amount[1], unit))
        return_url = cancel_url = None
        source = c.obj(body, "payment_source", "/payment_source")
        if source is not None:
            unsupported = sorted(set(source) - {"paypal"})
            if unsupported:
                c.add("value", f"/payment_source/{unsupported[0]}")  # the fake: paypal only
            paypal = c.obj(source, "paypal", "/payment_source/paypal", required=not unsupported)
            pointer = "/payment_source/paypal/experience_context"
            context = c.obj(paypal, "experience_context", pointer)
            return_url, cancel_url = self._experience(c, context, pointer)
        context = c.obj(body, "application_context", "/application_context")
        if context is not None and source is None:
            return_url, cancel_url = self._experience(c, context, "/application_context")
        c.done()
        if len(units) > 1:
            references = [u.request.get("reference_id") for u in units]
            if None in references:
                fail(422, "REFERENCE_ID_REQUIRED", "/purchase_units")
            if len(set(references)) != len(references):
                fail(422, "DUPLICATE_REFERENCE_ID", "/purchase_units")
        if intent != "CAPTURE":
            fail(422, "UNSUPPORTED_INTENT", "/intent", intent,
                 description="FakePayPalServer implements intent CAPTURE only.")
        now = self.now()
        order = Order(
            id=new_id(),
            status="PAYER_ACTION_REQUIRED" if source is not None else "CREATED",
            units=units,
            payment_source=source is not None,
            return_url=return_url,
            cancel_url=cancel_url,
            create_time=now,
            update_time=now,
            outcome=self.capture_outcome,
        )
        self.orders[order.id] = order
        if call.representation:
            return 201, self.order_json(order)
        minimal = {"id": order.id, "status": order.status}
        if order.payment_source:
            minimal["payment_source"] = {"paypal": {}}
        return 201, {**minimal, "links": self._order_links(order)}

    def _experience(self, c: Checks, context: dict | None, pointer: str):
        if context is None:
            return None, None
        for key, allowed in _EXPERIENCE_ENUMS.items():
            c.text(context, key, f"{pointer}/{key}", max_length=24, enum=allowed)
        c.text(context, "brand_name", f"{pointer}/brand_name", max_length=127)
        c.text(context, "locale", f"{pointer}/locale", max_length=10,
               pattern=r"^[a-z]{2}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|[0-9]{3}))?$")
        return (c.url(context, "return_url", f"{pointer}/return_url"),
                c.url(context, "cancel_url", f"{pointer}/cancel_url"))

    def _order_links(self, order: Order) -> list[dict]:
        api = f"{self.url}/v2/checkout/orders/{order.id}"
        links = [link(api, "self")]
        if order.status == "PAYER_ACTION_REQUIRED":
            links.append(link(self.approve_url(order.id), "payer-action"))
        elif order.status == "CREATED":
            links.append(link(self.approve_url(order.id), "approve"))
        if order.status in ("CREATED", "APPROVED"):
            links += [link(api, "update", "PATCH"), link(f"{api}/capture", "capture", "POST")]
        return links

    def order_json(self, order: Order) -> dict:
        units = []
        for unit in order.units:
            rendered = {key: value for key, value in unit.request.items() if key != "amount"}
            rendered["reference_id"] = unit.reference_id
            rendered["amount"] = {**unit.request["amount"], **money(unit.amount, unit.currency)}
            rendered["payee"] = dict(self.merchant)
            if unit.capture_id:
                rendered["payments"] = {"captures": [self.capture_json(self.txns[unit.capture_id])]}
            units.append(rendered)
        payload: dict[str, Any] = {"id": order.id, "intent": "CAPTURE", "status": order.status}
        if order.payer is not None:
            payload["payment_source"] = {"paypal": order.payer.as_paypal_source()}
        elif order.payment_source:
            payload["payment_source"] = {"paypal": {}}
        payload["purchase_units"] = units
        if order.payer is not None:
            payload["payer"] = order.payer.as_payer()
        payload["create_time"] = iso(order.create_time)
        if order.update_time != order.create_time:
            payload["update_time"] = iso(order.update_time)
        payload["links"] = self._order_links(order)
        return payload

    def api_get_order(self, call: Call) -> tuple[int, dict]:
        return 200, self.order_json(self._order(call.args[0]))

    def set_capture_outcome(
        self, order_id: str, capture_status: str, pending_reason: str = "PENDING_REVIEW"
    ) -> None:
        """What capturing this order will do: COMPLETED; PENDING (status_details.reason =
        pending_reason); DECLINED (201, capture status DECLINED); INSTRUMENT_DECLINED (422,
        the payer must approve again with other funding)."""
        if capture_status not in CAPTURE_OUTCOMES:
            raise ValueError(f"capture_status must be one of {CAPTURE_OUTCOMES}")
        with self.lock:
            self._order(order_id).outcome = (
                capture_status, pending_reason if capture_status == "PENDING" else None)

    def approve_order(
        self,
        order_id: str,
        payer: Payer | None = None,
        capture_status: str | None = None,
        pending_reason: str = "PENDING_REVIEW",
    ) -> str:
        if capture_status is not None:
            self.set_capture_outcome(order_id, capture_status, pending_reason)
        with self.lock:
            order = self._order(order_id)
            if order.status == "COMPLETED":
                raise ValueError(f"order {order_id} is already captured")
            order.payer = payer or order.payer or Payer()
            order.status = "APPROVED"
            order.update_time = self.now()
            query = {"token": order.id, "PayerID": order.payer.payer_id}
            target = order.return_url or f"{self.url}/checkout/returned"
        return f"{target}{'&' if '?' in target else '?'}{urlencode(query)}"

    def api_capture_order(self, call: Call) -> tuple[int, dict]:
        order = self._order(call.args[0])
        if order.status == "COMPLETED":
            fail(422, "ORDER_ALREADY_CAPTURED")
        if order.status != "APPROVED":
            fail(422, "ORDER_NOT_APPROVED")
        status, reason = order.outcome
        now = self.now()
        if status == "INSTRUMENT_DECLINED":  # the payer has to go back and choose other funding
            order.status = "PAYER_ACTION_REQUIRED" if order.payment_source else "CREATED"
            order.outcome = ("COMPLETED", None)
            raise PayPalError(422, [issue("INSTRUMENT_DECLINED")], links=[
                link(self.approve_url(order.id), "redirect"),
                link("https://developer.paypal.com/docs/api/orders/v2/#error-INSTRUMENT_DECLINED",
                     "information_link"),
            ])
        for unit in order.units:
            txn = Txn(
                id=new_id(), kind="capture", amount=unit.amount, currency=unit.currency,
                fee=self.fee_for(unit.amount, unit.currency), status=status, create_time=now,
                update_time=now, payer=order.payer, custom_id=unit.request.get("custom_id"),
                invoice_id=unit.request.get("invoice_id"), reason=reason, order_id=order.id,
            )
            self.txns[txn.id] = txn
            unit.capture_id = txn.id
        order.status = "COMPLETED"
        order.update_time = now
        full = self.order_json(order)
        if call.representation:
            return 201, full
        units = [{"reference_id": u["reference_id"], "payments": u["payments"]}
                 for u in full["purchase_units"]]
        return 201, {"id": order.id, "status": order.status, "payment_source":
                     full["payment_source"], "purchase_units": units, "payer": full["payer"],
                     "links": full["links"]}

    # --- Payments v2 -----------------------------------------------------------------------

    def capture_json(self, txn: Txn, full: bool = False) -> dict:
        api = f"{self.url}/v2/payments/captures/{txn.id}"
        payload: dict[str, Any] = {"id": txn.id, "status": txn.status}
        if txn.reason and txn.status == "PENDING":
            payload["status_details"] = {"reason": txn.reason}
        payload["amount"] = money(txn.amount, txn.currency)
        payload["final_capture"] = True
        payload["seller_protection"] = {
            "status": "ELIGIBLE",
            "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"],
        }
        if txn.status not in ("PENDING", "DECLINED", "FAILED"):
            payload["seller_receivable_breakdown"] = {
                "gross_amount": money(txn.amount, txn.currency),
                "paypal_fee": money(txn.fee, txn.currency),
                "net_amount": money(txn.amount - txn.fee, txn.currency),
            }
        for key in ("invoice_id", "custom_id"):
            if getattr(txn, key):
                payload[key] = getattr(txn, key)
        links = [link(api, "self")]
        if txn.status in ("COMPLETED", "PARTIALLY_REFUNDED"):
            links.append(link(f"{api}/refund", "refund", "POST"))
        if txn.order_id:
            links.append(link(f"{self.url}/v2/checkout/orders/{txn.order_id}", "up"))
        payload["links"] = links
        payload["create_time"] = iso(txn.create_time)
        payload["update_time"] = iso(txn.update_time)
        if full:
            related = ({"order_id": txn.order_id} if txn.order_id
                       else {"subscription_id": txn.subscription_id})
            payload["supplementary_data"] = {"related_ids": related}
            payload["payee"] = dict(self.merchant)
        return payload

    def api_get_capture(self, call: Call) -> tuple[int, dict]:
        return 200, self.capture_json(self._txn(call.args[0]), full=True)

    def refund_json(self, refund: Refund) -> dict:
        txn = self.txns[refund.txn_id]
        payload: dict[str, Any] = {"id": refund.id, "amount": money(refund.amount, refund.currency)}
        for key in ("invoice_id", "custom_id", "note_to_payer"):
            if getattr(refund, key):
                payload[key] = getattr(refund, key)
        payload["seller_payable_breakdown"] = {
            "gross_amount": money(refund.amount, refund.currency),
            "paypal_fee": money(Decimal(0), refund.currency),  # PayPal keeps its fee
            "net_amount": money(refund.amount, refund.currency),
            "total_refunded_amount": money(refund.total_after, refund.currency),
        }
        payload["status"] = "COMPLETED"
        payload["create_time"] = payload["update_time"] = iso(refund.create_time)
        payload["links"] = [
            link(f"{self.url}/v2/payments/refunds/{refund.id}", "self"),
            link(f"{self.url}/v2/payments/captures/{txn.id}", "up"),
        ]
        return payload

    def add_refund(self, txn: Txn, amount: Decimal | None, kind: str = "refund", **extra) -> Refund:
        remaining = txn.amount - txn.refunded
        value = remaining if amount is None else amount
        txn.refunded += value
        txn.status = "REFUNDED" if txn.refunded >= txn.amount else "PARTIALLY_REFUNDED"
        txn.update_time = self.now()
        refund = Refund(new_id(), txn.id, value, txn.currency, txn.refunded, txn.update_time,
                        kind, **extra)
        self.refunds[refund.id] = refund
        txn.refund_ids.append(refund.id)
        return refund

    def check_refundable(self, txn: Txn, amount: tuple[Decimal, str] | None) -> None:
        if txn.status == "PENDING":
            fail(422, "PENDING_CAPTURE")
        if txn.status in ("DECLINED", "FAILED"):
            fail(422, "REFUND_NOT_ALLOWED")
        remaining = txn.amount - txn.refunded
        if remaining <= 0:
            fail(422, "CAPTURE_FULLY_REFUNDED")
        if amount is not None:
            if amount[1] != txn.currency:
                fail(422, "REFUND_CAPTURE_CURRENCY_MISMATCH", "/amount/currency_code", amount[1])
            if amount[0] > remaining:
                fail(422, "REFUND_AMOUNT_EXCEEDED", "/amount/value", str(amount[0]))

    def api_refund_capture(self, call: Call) -> tuple[int, dict]:
        txn = self._txn(call.args[0])
        c = Checks("payments", self.strict_amounts)
        amount = c.money(call.body, "amount", "/amount")
        limits = (("custom_id", 127), ("invoice_id", 127), ("note_to_payer", 255))
        extra = {key: c.text(call.body, key, f"/{key}", max_length=limit)
                 for key, limit in limits}
        c.done()
        self.check_refundable(txn, amount)
        refund = self.add_refund(txn, amount[0] if amount else None, **extra)
        if call.representation:
            return 201, self.refund_json(refund)
        full = self.refund_json(refund)
        return 201, {"id": refund.id, "status": full["status"], "links": full["links"]}

    def api_get_refund(self, call: Call) -> tuple[int, dict]:
        refund = self.refunds.get(call.args[0])
        if refund is None or refund.kind != "refund":
            raise not_found(call.args[0], "refund_id")
        return 200, self.refund_json(refund)
