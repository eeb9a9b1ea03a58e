"""Subscriptions of FakePayPalServer and the monthly charges ("sales") they make."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from .paypal_catalog import Plan
from .paypal_checkout import Payer, Txn
from .paypal_common import Call, Checks, fail, iso, link, money, new_id, not_found, parse_time

_STATUS_INVALID = "Invalid subscription status for {} action; subscription status should be {}."


@dataclass
class Subscription:
    id: str
    plan_id: str
    status: str  # APPROVAL_PENDING APPROVED ACTIVE SUSPENDED CANCELLED EXPIRED
    create_time: datetime
    status_update_time: datetime
    start_time: datetime
    ba_token: str
    custom_id: str | None = None
    return_url: str | None = None
    cancel_url: str | None = None
    quantity: str | None = None
    overrides: dict[int, Decimal] = field(default_factory=dict)  # sequence -> price
    pending: tuple[str, dict[int, Decimal]] | None = None  # a revision awaiting the payer
    subscriber_request: dict | None = None
    subscriber: Payer | None = None
    status_change_note: str | None = None
    cycles_completed: int = 0
    last_payment: tuple[Decimal, datetime] | None = None
    next_billing_time: datetime | None = None
    failed_payments_count: int = 0
    last_failed_payment: dict | None = None
    sale_ids: list[str] = field(default_factory=list)


def add_interval(moment: datetime, unit: str, count: int) -> datetime:
    if unit == "DAY":
        return moment + timedelta(days=count)
    if unit == "WEEK":
        return moment + timedelta(weeks=count)
    months = count * (12 if unit == "YEAR" else 1) + moment.month - 1
    year, month = moment.year + months // 12, months % 12 + 1
    return moment.replace(year=year, month=month,
                          day=min(moment.day, calendar.monthrange(year, month)[1]))


class BillingApi:
    """Mixin: needs self.plans, self.subscriptions, self.txns and the helpers of CheckoutApi
    (fee_for, approve_url)."""

    # --- subscriptions -------------------------------------------------------------------

    def _subscription(self, subscription_id: str) -> Subscription:
        sub = self.subscriptions.get(subscription_id)
        if sub is None:
            raise not_found(subscription_id)
        return sub

    def _overrides(self, c: Checks, body: Any, pointer: str) -> dict[int, tuple[Decimal, str]]:
        override = c.obj(body, "plan", pointer)
        found = {}
        for i, cycle in enumerate(c.array(override, "billing_cycles", f"{pointer}/billing_cycles",
                                          max_items=12)):
            p = f"{pointer}/billing_cycles/{i}"
            sequence = c.integer(cycle, "sequence", f"{p}/sequence", 1, 99, required=True)
            c.integer(cycle, "total_cycles", f"{p}/total_cycles", 0, 999)
            scheme = c.obj(cycle, "pricing_scheme", f"{p}/pricing_scheme")
            price = c.money(scheme, "fixed_price", f"{p}/pricing_scheme/fixed_price",
                            required=scheme is not None)
            if sequence is not None and price is not None:
                found[sequence] = price
        return found

    def _apply_overrides(self, plan: Plan, found: dict, pointer: str) -> dict[int, Decimal]:
        sequences = {cycle["sequence"] for cycle in plan.cycles}
        for sequence, (_, currency) in found.items():
            if sequence not in sequences:
                fail(422, "INVALID_BILLING_CYCLE_SEQUENCE", f"{pointer}/billing_cycles",
                     str(sequence))
            if currency != plan.currency:
                fail(422, "CURRENCY_MISMATCH", f"{pointer}/billing_cycles", currency)
        return {sequence: price for sequence, (price, _) in found.items()}

    def _context(self, c: Checks, body: Any) -> tuple[str | None, str | None]:
        context = c.obj(body, "application_context", "/application_context")
        if context is None:
            return None, None
        c.text(context, "brand_name", "/application_context/brand_name", max_length=127)
        c.text(context, "user_action", "/application_context/user_action", max_length=24,
               enum=("CONTINUE", "SUBSCRIBE_NOW"))
        c.text(context, "shipping_preference", "/application_context/shipping_preference",
               max_length=24, enum=("GET_FROM_FILE", "NO_SHIPPING", "SET_PROVIDED_ADDRESS"))
        return (c.url(context, "return_url", "/application_context/return_url", required=True),
                c.url(context, "cancel_url", "/application_context/cancel_url", required=True))

    def api_create_subscription(self, call: Call) -> tuple[int, dict]:
        body, c = call.body, Checks("billing", self.strict_amounts)
        plan_id = c.text(body, "plan_id", "/plan_id", required=True, min_length=3, max_length=50)
        c.text(body, "custom_id", "/custom_id", max_length=127, pattern=r"^[\x20-\x7E]+")
        quantity = c.text(body, "quantity", "/quantity", max_length=32,
                          pattern=r"^([0-9]+|([0-9]+)?[.][0-9]+)$")
        start = c.text(body, "start_time", "/start_time", max_length=64)
        if start is not None and parse_time(start) is None:
            fail(400, "INVALID_PARAMETER_SYNTAX", "/start_time", start, dialect="billing")
        subscriber = c.obj(body, "subscriber", "/subscriber")
        c.text(subscriber, "email_address", "/subscriber/email_address", max_length=254,
               pattern=r"^.+@[^\"\-].+$")
        return_url, cancel_url = self._context(c, body)
        found = self._overrides(c, body, "/plan")
        c.done()
        plan = self.plans.get(plan_id)
        if plan is None:
            raise not_found(plan_id, "/plan_id")
        if plan.status != "ACTIVE":
            fail(422, "PLAN_STATUS_INVALID", "/plan_id", plan_id)
        if quantity is not None and not plan.quantity_supported:
            fail(422, "SUBSCRIPTION_CANNOT_HAVE_QUANTITY", "/quantity", quantity,
                 description="Subscription can't have quantity as the plan does not support "
                 "quantity.")
        now = self.now()
        sub = Subscription(
            id=new_id("I-", 12), plan_id=plan.id, status="APPROVAL_PENDING", create_time=now,
            status_update_time=now, start_time=parse_time(start) if start else now,
            ba_token=new_id("BA-", 17), custom_id=body.get("custom_id"), return_url=return_url,
            cancel_url=cancel_url, quantity=quantity, subscriber_request=subscriber,
            overrides=self._apply_overrides(plan, found, "/plan"),
        )
        self.subscriptions[sub.id] = sub
        full = self.subscription_json(sub)
        keys = ["id", "status", "status_update_time", "plan_id", "plan_overridden", "start_time",
                "quantity", "shipping_amount", "subscriber", "create_time", "links"]
        if call.representation:
            keys.insert(5, "custom_id")
        return 201, {key: full[key] for key in keys if key in full}

    def _sub_links(self, sub: Subscription) -> list[dict]:
        api = f"{self.url}/v1/billing/subscriptions/{sub.id}"
        links = []
        if sub.status == "APPROVAL_PENDING":
            links.append(link(f"{self.approve_url(sub.id)}?ba_token={sub.ba_token}", "approve"))
        if sub.status in ("ACTIVE", "SUSPENDED"):
            links.append(link(f"{api}/cancel", "cancel", "POST"))
        if sub.status != "CANCELLED" and sub.status != "EXPIRED":
            links.append(link(api, "edit", "PATCH"))
        links.append(link(api, "self"))
        if sub.status == "ACTIVE":
            links.append(link(f"{api}/suspend", "suspend", "POST"))
        if sub.status == "SUSPENDED":
            links.append(link(f"{api}/activate", "activate", "POST"))
        if sub.status in ("ACTIVE", "SUSPENDED"):
            links.append(link(f"{api}/capture", "capture", "POST"))
        return links

    def current_cycle(self, sub: Subscription) -> dict | None:
        """The billing cycle the next charge belongs to, with its price (None: all done)."""
        plan = self.plans[sub.plan_id]
        done = sub.cycles_completed
        for cycle in sorted(plan.cycles, key=lambda cycle: cycle["sequence"]):
            total = cycle["total_cycles"]
            if total == 0 or done < total:
                price = sub.overrides.get(cycle["sequence"], cycle["price"])
                return {**cycle, "price": price or Decimal(0), "done_in_cycle": done}
            done -= total
        return None

    def subscription_json(self, sub: Subscription, with_plan: bool = False) -> dict:
        plan = self.plans[sub.plan_id]
        payload: dict[str, Any] = {"id": sub.id, "plan_id": sub.plan_id,
                                   "start_time": iso(sub.start_time),
                                   "quantity": sub.quantity or "1",
                                   "shipping_amount": money(Decimal(0), plan.currency)}
        if sub.subscriber is not None:
            payload["subscriber"] = {**(sub.subscriber_request or {}),
                                     **sub.subscriber.as_payer()}
            payload["subscriber"].pop("address", None)
            payload["subscriber"]["shipping_address"] = {
                "address": {"country_code": sub.subscriber.country_code}}
        elif sub.subscriber_request:
            payload["subscriber"] = sub.subscriber_request
        if sub.subscriber is not None:
            payload["billing_info"] = self._billing_info(sub, plan)
        payload["create_time"] = iso(sub.create_time)
        payload["update_time"] = iso(max(sub.status_update_time, sub.create_time))
        if sub.custom_id:
            payload["custom_id"] = sub.custom_id
        payload["plan_overridden"] = bool(sub.overrides)
        if with_plan:
            rendered = self.plan_json(plan, sub.overrides)
            payload["plan"] = {key: rendered[key] for key in
                               ("billing_cycles", "payment_preferences", "quantity_supported")}
        payload["status"] = sub.status
        if sub.status_change_note:
            payload["status_change_note"] = sub.status_change_note
        payload["status_update_time"] = iso(sub.status_update_time)
        payload["links"] = self._sub_links(sub)
        return payload

    def _billing_info(self, sub: Subscription, plan: Plan) -> dict:
        executions, done = [], sub.cycles_completed
        for cycle in sorted(plan.cycles, key=lambda cycle: cycle["sequence"]):
            total = cycle["total_cycles"]
            completed = done if total == 0 else min(done, total)
            done -= completed
            executions.append({
                "tenure_type": cycle["tenure_type"], "sequence": cycle["sequence"],
                "cycles_completed": completed,
                "cycles_remaining": 0 if total == 0 else total - completed,
                "current_pricing_scheme_version": 1, "total_cycles": total,
            })
        outstanding = Decimal(0)
        if sub.last_failed_payment:
            outstanding = Decimal(sub.last_failed_payment["amount"]["value"])
        info: dict[str, Any] = {"outstanding_balance": money(outstanding, plan.currency),
                                "cycle_executions": executions}
        if sub.last_payment:
            info["last_payment"] = {"amount": money(sub.last_payment[0], plan.currency),
                                    "time": iso(sub.last_payment[1])}
        if sub.next_billing_time and sub.status in ("ACTIVE", "SUSPENDED"):
            info["next_billing_time"] = iso(sub.next_billing_time)
        info["failed_payments_count"] = sub.failed_payments_count
        if sub.last_failed_payment:
            info["last_failed_payment"] = sub.last_failed_payment
        return info

    def api_get_subscription(self, call: Call) -> tuple[int, dict]:
        fields = call.query.get("fields", "").split(",")
        return 200, self.subscription_json(self._subscription(call.args[0]), "plan" in fields)

    def _status_change(self, call: Call, action: str, allowed: tuple[str, ...], new: str):
        sub = self._subscription(call.args[0])
        c = Checks("billing")
        reason = c.text(call.body, "reason", "/reason", required=action != "activate",
                        max_length=128)
        c.done()
        if sub.status not in allowed:
            should = " or ".join(s.lower() for s in allowed if s != "APPROVED")
            fail(422, "SUBSCRIPTION_STATUS_INVALID",
                 description=_STATUS_INVALID.format(action, should))
        self.set_subscription_status(sub, new, reason)
        return 204, None

    def set_subscription_status(self, sub: Subscription, status: str, note: str | None = None):
        sub.status = status
        sub.status_update_time = self.now()
        if note:
            sub.status_change_note = note

    def api_cancel_subscription(self, call: Call):
        return self._status_change(call, "cancel", ("ACTIVE", "SUSPENDED"), "CANCELLED")

    def api_suspend_subscription(self, call: Call):
        return self._status_change(call, "suspend", ("ACTIVE",), "SUSPENDED")

    def api_activate_subscription(self, call: Call):
        return self._status_change(call, "activate", ("SUSPENDED", "APPROVED"), "ACTIVE")

    def api_revise_subscription(self, call: Call) -> tuple[int, dict]:
        sub, body = self._subscription(call.args[0]), call.body
        c = Checks("billing", self.strict_amounts)
        plan_id = c.text(body, "plan_id", "/plan_id", min_length=3, max_length=50)
        found = self._overrides(c, body, "/plan")
        self._context(c, body)
        c.done()
        if sub.status not in ("ACTIVE", "SUSPENDED"):
            fail(422, "SUBSCRIPTION_STATUS_INVALID",
                 description=_STATUS_INVALID.format("revise", "active or suspended"))
        plan = self.plans.get(plan_id or sub.plan_id)
        if plan is None:
            raise not_found(plan_id, "/plan_id")
        if plan.product_id != self.plans[sub.plan_id].product_id:
            fail(422, "PLAN_PRODUCT_NOT_COMPATIBLE", "/plan_id", plan_id,
                 description="The old and the new plans should be for the same product.")
        sub.pending = (plan.id, self._apply_overrides(plan, found, "/plan"))
        api = f"{self.url}/v1/billing/subscriptions/{sub.id}"
        echo = {key: body[key] for key in ("plan", "quantity", "shipping_amount") if key in body}
        return 200, {"plan_id": plan.id, **echo, "plan_overridden": bool(sub.pending[1]),
                     "links": [
                         link(f"{self.approve_url(sub.id)}?ba_token={sub.ba_token}", "approve"),
                         link(api, "edit", "PATCH"), link(api, "self"),
                         link(f"{api}/cancel", "cancel", "POST"),
                         link(f"{api}/suspend", "suspend", "POST"),
                         link(f"{api}/capture", "capture", "POST")]}

    def approve_subscription(self, sub_id: str, payer: Payer | None = None) -> str:
        with self.lock:
            sub = self._subscription(sub_id)
            now = self.now()
            if sub.status == "APPROVAL_PENDING":
                sub.subscriber = payer or Payer()
                self.set_subscription_status(sub, "ACTIVE")
                sub.next_billing_time = max(sub.start_time, now)
            elif sub.pending is not None:
                sub.plan_id, sub.overrides = sub.pending
                sub.pending = None
                sub.status_update_time = now
            else:
                raise ValueError(f"{sub_id} is {sub.status} with no revision awaiting approval")
            query = {"subscription_id": sub.id, "ba_token": sub.ba_token, "token": new_id()}
            target = sub.return_url or f"{self.url}/subscriptions/returned"
        return f"{target}{'&' if '?' in target else '?'}{urlencode(query)}"

    # --- what PayPal does by itself: monthly charges -------------------------------------

    def charge(self, sub_id: str) -> Txn:
        sub = self._subscription(sub_id)
        if sub.status != "ACTIVE":
            raise ValueError(f"subscription {sub_id} is {sub.status}; only ACTIVE ones are charged")
        cycle = self.current_cycle(sub)
        if cycle is None or cycle["price"] <= 0:
            raise ValueError(f"subscription {sub_id} has nothing to charge now: {cycle}")
        plan, now = self.plans[sub.plan_id], self.now()
        txn = Txn(id=new_id(), kind="sale", amount=cycle["price"], currency=plan.currency,
                  fee=self.fee_for(cycle["price"], plan.currency), status="COMPLETED",
                  create_time=now, update_time=now, payer=sub.subscriber or Payer(),
                  custom_id=sub.custom_id, subscription_id=sub.id)
        self.txns[txn.id] = txn
        sub.sale_ids.append(txn.id)
        sub.cycles_completed += 1
        sub.last_payment = (txn.amount, now)
        sub.failed_payments_count = 0
        sub.last_failed_payment = None
        sub.next_billing_time = add_interval(now, cycle["interval_unit"], cycle["interval_count"])
        if self.current_cycle(sub) is None:  # the plan's total_cycles ran out (default: 1!)
            self.set_subscription_status(sub, "EXPIRED")
        return txn

    def fail_charge(self, sub_id: str) -> None:
        sub = self._subscription(sub_id)
        cycle = self.current_cycle(sub)
        plan, now = self.plans[sub.plan_id], self.now()
        price = cycle["price"] if cycle else Decimal(0)
        sub.failed_payments_count += 1
        sub.last_failed_payment = {
            "amount": money(price, plan.currency), "time": iso(now),
            "reason_code": "PAYMENT_DENIED", "next_payment_retry_time": iso(now + timedelta(5)),
        }
        threshold = plan.preferences.get("payment_failure_threshold") or 0
        if threshold and sub.failed_payments_count >= threshold:
            self.set_subscription_status(sub, "SUSPENDED")

    def api_subscription_transactions(self, call: Call) -> tuple[int, dict]:
        sub = self._subscription(call.args[0])
        window = []
        for key in ("start_time", "end_time"):
            value = call.query.get(key)
            if value is None or parse_time(value) is None:
                fail(400, "MISSING_REQUIRED_PARAMETER" if value is None else
                     "INVALID_PARAMETER_SYNTAX", key, value, "query", dialect="billing")
            window.append(parse_time(value))
        rows = []
        for txn in (self.txns[sale_id] for sale_id in sub.sale_ids):
            if window[0] <= txn.create_time <= window[1]:
                rows.append({
                    "status": txn.status, "id": txn.id,
                    "amount_with_breakdown": {
                        "gross_amount": money(txn.amount, txn.currency),
                        "fee_amount": money(txn.fee, txn.currency),
                        "net_amount": money(txn.amount - txn.fee, txn.currency)},
                    "payer_name": {"given_name": txn.payer.given_name,
                                   "surname": txn.payer.surname},
                    "payer_email": txn.payer.email_address, "time": iso(txn.create_time),
                })
        return 200, {"transactions": rows, "total_items": len(rows), "total_pages": 1,
                     "links": [link(f"{self.url}{call.path}", "self")]}
