"""State of the fake Stripe account, and the backend steps shared by the API and the simulators.

Everything is kept in `objects` (id -> live dict, mutated in place); API responses and event
payloads are deep copies taken at the moment they are sent, as Stripe's are.
"""

from __future__ import annotations

import calendar
import copy
import threading
import time
from datetime import UTC, datetime
from typing import Any

import stripe

from . import stripe_objects as obj
from . import stripe_objects_billing as billing
from . import stripe_objects_payments as pay
from .stripe_params import StripeError, no_such

INTERVALS = ("day", "week", "month", "year")


def add_interval(timestamp: int, interval: str, count: int = 1) -> int:
    """Stripe's billing arithmetic: calendar months/years, clamped to the end of short months."""
    if interval == "day":
        return timestamp + 86400 * count
    if interval == "week":
        return timestamp + 7 * 86400 * count
    moment = datetime.fromtimestamp(timestamp, UTC)
    months = count * (12 if interval == "year" else 1)
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


class StripeStore:
    def __init__(self) -> None:
        self.base_url = "http://127.0.0.1:0"
        self.lock = threading.RLock()
        self.objects: dict[str, dict] = {}
        self.events: list[dict] = []
        self.session_line_items: dict[str, list[dict]] = {}
        self.session_params: dict[str, dict] = {}
        self._clock_offset = 0
        self._invoice_numbers = 0
        # Set by the server while it handles an API request, so events carry `request`.
        self._request_context: dict | None = None

    # --- clock and storage ------------------------------------------------------------

    def now(self) -> int:
        return int(time.time()) + self._clock_offset

    def advance_time(self, seconds: int) -> None:
        """Move the fake's clock (used for `created`, periods, expiry) forward."""
        self._clock_offset += seconds

    def _put(self, item: dict) -> dict:
        self.objects[item["id"]] = item
        return item

    def _get(self, kind: str, object_id: str, *, param: str | None = None, status: int = 404):
        item = self.objects.get(object_id)
        if item is None or item.get("object") != kind:
            raise no_such(kind, object_id, param=param, status=status)
        return item

    def _all(self, kind: str) -> list[dict]:
        """Objects of one type, newest first (Stripe's list order)."""
        return [o for o in reversed(list(self.objects.values())) if o.get("object") == kind]

    def get_object(self, object_id: str) -> dict:
        """A deep copy of any stored object by id (for test assertions)."""
        with self.lock:
            return copy.deepcopy(self.objects[object_id])

    # --- events -----------------------------------------------------------------------

    def _emit(self, event_type: str, item: dict, previous: dict | None = None) -> dict:
        event = obj.event(
            event_type,
            copy.deepcopy(item),
            api_version=stripe.api_version,
            created=self.now(),
            previous_attributes=copy.deepcopy(previous) if previous is not None else None,
            request=dict(self._request_context) if self._request_context else None,
        )
        self.events.append(event)
        return copy.deepcopy(event)

    def events_of_type(self, event_type: str) -> list[dict]:
        with self.lock:
            return [copy.deepcopy(e) for e in self.events if e["type"] == event_type]

    # --- payments -----------------------------------------------------------------------

    def _start_payment(
        self,
        *,
        amount: int,
        currency: str,
        customer_id: str | None,
        email: str | None,
        name: str | None,
        outcome: str,
        intent_data: dict | None = None,
    ) -> tuple[dict, dict]:
        """A PaymentIntent plus its charge; outcome is "succeeded", "processing" or "failed"."""
        intent_data = intent_data or {}
        status = {"succeeded": "succeeded", "processing": "processing"}.get(
            outcome, "requires_payment_method"
        )
        intent = self._put(
            pay.payment_intent(
                amount=amount,
                currency=currency,
                created=self.now(),
                customer_id=customer_id,
                payment_method=obj.new_id("pm_"),
                status=status,
                metadata=intent_data.get("metadata"),
                description=intent_data.get("description"),
                receipt_email=intent_data.get("receipt_email"),
            )
        )
        charge_status = {"succeeded": "succeeded", "processing": "pending"}.get(outcome, "failed")
        the_charge = self._put(
            pay.charge(
                intent=intent, email=email, name=name, created=self.now(), status=charge_status
            )
        )
        intent["latest_charge"] = the_charge["id"]
        if outcome == "failed":
            self._mark_failed(intent, the_charge)
        return intent, the_charge

    def _settle_payment(self, intent: dict, succeeded: bool) -> dict:
        """Finish a "processing" payment (delayed methods such as SEPA Debit)."""
        the_charge = self.objects[intent["latest_charge"]]
        if not succeeded:
            self._mark_failed(intent, the_charge)
            return the_charge
        intent.update(status="succeeded", amount_received=intent["amount"])
        the_charge.update(
            status="succeeded",
            paid=True,
            captured=True,
            amount_captured=the_charge["amount"],
            balance_transaction=obj.new_id("txn_"),
        )
        return the_charge

    def _mark_failed(self, intent: dict, the_charge: dict) -> None:
        error = {
            "charge": the_charge["id"],
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            "message": "Your card has insufficient funds.",
            "type": "card_error",
        }
        intent.update(status="requires_payment_method", last_payment_error=error)
        the_charge.update(
            status="failed",
            paid=False,
            captured=False,
            amount_captured=0,
            failure_code="card_declined",
            failure_message="Your card has insufficient funds.",
            outcome={
                **the_charge["outcome"],
                "network_status": "declined_by_network",
                "reason": "insufficient_funds",
                "seller_message": "The bank returned the decline code `insufficient_funds`.",
                "type": "issuer_declined",
            },
        )

    # --- invoices -----------------------------------------------------------------------

    def _new_invoice(self, sub: dict, billing_reason: str, period: tuple[int, int]) -> dict:
        the_customer = self.objects[sub["customer"]]
        self._invoice_numbers += 1
        invoice = self._put(
            billing.invoice(
                base_url=self.base_url,
                sub=sub,
                the_customer=the_customer,
                billing_reason=billing_reason,
                created=self.now(),
                period=period,
                number=f"{the_customer['invoice_prefix']}-{self._invoice_numbers:04d}",
            )
        )
        sub["latest_invoice"] = invoice["id"]
        return invoice

    def _attempt_invoice(self, invoice: dict, outcome: str) -> dict:
        """One payment attempt on an open invoice; returns its invoice_payment."""
        the_customer = self.objects[invoice["customer"]]
        intent, _ = self._start_payment(
            amount=invoice["amount_due"],
            currency=invoice["currency"],
            customer_id=the_customer["id"],
            email=the_customer["email"],
            name=the_customer["name"],
            outcome=outcome,
        )
        payment = self._put(billing.invoice_payment(invoice, intent, self.now()))
        invoice.update(attempted=True, attempt_count=invoice["attempt_count"] + 1)
        if outcome == "succeeded":
            self._mark_invoice_paid(invoice, payment)
        elif outcome == "failed":
            invoice["next_payment_attempt"] = self.now() + 3 * 86400
        return payment

    def _mark_invoice_paid(self, invoice: dict, payment: dict) -> None:
        now = self.now()
        invoice.update(
            status="paid",
            amount_paid=invoice["amount_due"],
            amount_remaining=0,
            auto_advance=False,
            next_payment_attempt=None,
        )
        invoice["status_transitions"]["paid_at"] = now
        payment.update(status="paid", amount_paid=payment["amount_requested"])
        payment["status_transitions"]["paid_at"] = now

    def _invoice_payments(self, invoice_id: str) -> list[dict]:
        return [p for p in self._all("invoice_payment") if p["invoice"] == invoice_id]

    # --- subscriptions ------------------------------------------------------------------

    def _cancel(self, sub: dict, reason: str, details: dict | None = None) -> dict:
        if sub["status"] in ("canceled", "incomplete_expired"):
            raise StripeError(
                400,
                f"This subscription ({sub['id']}) has already been canceled.",
                code="resource_missing",
            )
        now = self.now()
        sub.update(status="canceled", canceled_at=now, ended_at=now, cancel_at_period_end=False)
        sub["cancellation_details"] = {
            "comment": (details or {}).get("comment"),
            "feedback": (details or {}).get("feedback"),
            "reason": reason,
        }
        return self._emit("customer.subscription.deleted", sub)

    # --- refunds ------------------------------------------------------------------------

    def _refund(
        self,
        the_charge: dict,
        amount: int | None,
        *,
        reason: str | None = None,
        meta: dict | None = None,
    ) -> tuple[dict, dict]:
        """Refund (part of) a charge; returns (refund, charge.refunded event)."""
        remaining = the_charge["amount"] - the_charge["amount_refunded"]
        if the_charge["disputed"] and not self._dispute_won(the_charge["id"]):
            raise StripeError(
                400,
                f"Charge {the_charge['id']} has been charged back; cannot issue a refund.",
                code="charge_disputed",
            )
        if the_charge["status"] != "succeeded":
            raise StripeError(
                400,
                f"Charge {the_charge['id']} has not succeeded; only succeeded charges can be "
                "refunded.",
                param="charge",
            )
        if remaining <= 0:
            raise StripeError(
                400,
                f"Charge {the_charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = remaining if amount is None else amount
        if amount > remaining:
            raise StripeError(
                400,
                f"Refund amount ({_money(amount, the_charge['currency'])}) is greater than "
                f"unrefunded amount on charge ({_money(remaining, the_charge['currency'])})",
                param="amount",
                code="amount_too_large",
            )
        the_refund = self._put(pay.refund(the_charge, amount, self.now(), reason, meta or {}))
        previous = {"amount_refunded": the_charge["amount_refunded"]}
        if the_charge["amount_refunded"] + amount == the_charge["amount"]:
            previous["refunded"] = False
        the_charge["amount_refunded"] += amount
        the_charge["refunded"] = the_charge["amount_refunded"] == the_charge["amount"]
        refunds = the_charge["refunds"]
        refunds["data"].insert(0, the_refund)
        self._emit("refund.created", the_refund)
        return the_refund, self._emit("charge.refunded", the_charge, previous)

    def _dispute_won(self, charge_id: str) -> bool:
        disputes = [d for d in self._all("dispute") if d["charge"] == charge_id]
        return bool(disputes) and disputes[0]["status"] in ("won", "warning_closed")

    # --- expansion ----------------------------------------------------------------------

    def _expand(self, item: dict, paths: Any) -> dict:
        if not paths:
            return item
        if isinstance(paths, str):
            paths = [paths]
        for path in paths:
            self._expand_path(item, path.split("."), path)
        return item

    def _expand_path(self, node: Any, parts: list[str], path: str) -> None:
        if isinstance(node, list):
            for entry in node:
                self._expand_path(entry, parts, path)
            return
        if not isinstance(node, dict):
            return
        key, rest = parts[0], parts[1:]
        if key == "line_items" and node.get("object") == "checkout.session":
            items = copy.deepcopy(self.session_line_items.get(node["id"], []))
            node[key] = obj.list_object(items, f"/v1/checkout/sessions/{node['id']}/line_items")
        elif key == "payments" and node.get("object") == "invoice":
            payments = copy.deepcopy(self._invoice_payments(node["id"]))
            node[key] = obj.list_object(payments, f"/v1/invoice_payments?invoice={node['id']}")
        elif key not in node:
            raise StripeError(400, f"This property cannot be expanded ({path}).", param="expand")
        elif isinstance(node[key], str) and node[key] in self.objects:
            node[key] = copy.deepcopy(self.objects[node[key]])
        if rest:
            self._expand_path(node[key], rest, path)


def _money(amount: int, currency: str) -> str:
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency, "")
    return f"{symbol}{amount / 100:.2f}" + ("" if symbol else f" {currency}")
