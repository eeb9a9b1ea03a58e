"""What Stripe's backend does on its own: customers paying, renewals, refunds, disputes.

Each helper changes the fake's state the way Stripe would and returns the Event that Stripe
would then send to the webhook endpoint (a dict; deliver it with `webhook_request`). Side events
Stripe also sends (e.g. `invoice.paid` for the first invoice of a subscription checkout,
`charge.succeeded`, `refund.created`) are recorded in `.events` as well, in Stripe's usual order,
but only the documented one is returned.
"""

from __future__ import annotations

from . import stripe_objects as obj
from . import stripe_objects_billing as billing
from . import stripe_objects_payments as pay
from .stripe_store import StripeStore, add_interval


class StripeSimulation(StripeStore):
    def complete_session(
        self,
        session_id: str,
        email: str = "reader@example.org",
        name: str = "Reader",
        paid: bool = True,
    ) -> dict:
        """The customer finishes Checkout. paid=False: a delayed method (SEPA, ACH) is still
        processing, so `payment_status` stays "unpaid" until `async_payment`.
        Returns `checkout.session.completed`. A `customer_email` on the session wins over
        `email`, as Checkout locks that field."""
        with self.lock:
            session = self._get("checkout.session", session_id)
            if session["status"] != "open":
                raise ValueError(f"{session_id} is {session['status']}, not open")
            email = session["customer_email"] or email
            params = self.session_params[session_id]
            outcome = "succeeded" if paid else "processing"
            the_customer = self.objects.get(session["customer"] or "")
            if the_customer is None and (
                session["mode"] == "subscription" or session["customer_creation"] == "always"
            ):
                pm = obj.new_id("pm_")
                the_customer = self._put(obj.customer(email, name, self.now(), pm))
                self._emit("customer.created", the_customer)
            customer_id = the_customer["id"] if the_customer else None
            if session["mode"] == "payment":
                intent, the_charge = self._start_payment(
                    amount=session["amount_total"],
                    currency=session["currency"],
                    customer_id=customer_id,
                    email=email,
                    name=name,
                    outcome=outcome,
                    intent_data=params.get("payment_intent_data"),
                )
                session["payment_intent"] = intent["id"]
                if paid:
                    self._emit("charge.succeeded", the_charge)
                    self._emit("payment_intent.succeeded", intent)
                else:
                    self._emit("charge.pending", the_charge)
                    self._emit("payment_intent.processing", intent)
            else:
                sub = self._subscribe(session, the_customer, params)
                invoice = self.objects[sub["latest_invoice"]]
                session.update(subscription=sub["id"], invoice=invoice["id"])
                self._emit("customer.subscription.created", sub)
                self._emit("invoice.finalized", invoice)
                self._attempt_invoice(invoice, outcome)
                if paid:
                    self._emit("invoice.paid", invoice)
            session.update(
                status="complete",
                payment_status="paid" if paid else "unpaid",
                customer=customer_id,
                customer_details=pay.customer_details(email, name),
                collected_information={
                    "business_name": None,
                    "individual_name": None,
                    "shipping_details": None,
                },
                url=None,
            )
            return self._emit("checkout.session.completed", session)

    def _subscribe(self, session: dict, the_customer: dict, params: dict) -> dict:
        data = params.get("subscription_data") or {}
        now = self.now()
        sub = self._put(
            billing.subscription(
                customer_id=the_customer["id"],
                currency=session["currency"],
                created=now,
                metadata=dict(data.get("metadata") or {}),
                description=data.get("description"),
                payment_method=the_customer["invoice_settings"]["default_payment_method"],
            )
        )
        for item in self.session_line_items[session["id"]]:
            recurring = item["price"]["recurring"]
            period = (now, add_interval(now, recurring["interval"], recurring["interval_count"]))
            sub["items"]["data"].append(
                billing.subscription_item(item["price"], item["quantity"], sub["id"], now, period)
            )
        # The first invoice's own period is the instant of creation; the service period is on
        # its line (lines.data[0].period), as on Stripe.
        self._new_invoice(sub, "subscription_create", (now, now))
        return sub

    def async_payment(self, session_id: str, succeeded: bool) -> dict:
        """The delayed payment of a completed, unpaid session settles. Returns
        `checkout.session.async_payment_succeeded` or `checkout.session.async_payment_failed`."""
        with self.lock:
            session = self._get("checkout.session", session_id)
            if session["status"] != "complete" or session["payment_status"] != "unpaid":
                raise ValueError(f"{session_id} has no payment in progress")
            if session["mode"] == "payment":
                intent = self.objects[session["payment_intent"]]
                the_charge = self._settle_payment(intent, succeeded)
                if succeeded:
                    self._emit("charge.succeeded", the_charge)
                    self._emit("payment_intent.succeeded", intent)
                else:
                    self._emit("charge.failed", the_charge)
                    self._emit("payment_intent.payment_failed", intent)
            else:
                invoice = self.objects[session["invoice"]]
                payment = self._invoice_payments(invoice["id"])[0]
                intent = self.objects[payment["payment"]["payment_intent"]]
                self._settle_payment(intent, succeeded)
                if succeeded:
                    self._mark_invoice_paid(invoice, payment)
                    self._emit("invoice.paid", invoice)
                else:
                    self._emit("invoice.payment_failed", invoice)
                    self._set_subscription_status(self.objects[session["subscription"]], "past_due")
            if succeeded:
                session["payment_status"] = "paid"
                return self._emit("checkout.session.async_payment_succeeded", session)
            return self._emit("checkout.session.async_payment_failed", session)

    def expire_session(self, session_id: str) -> dict:
        """The session times out unpaid. Returns `checkout.session.expired`."""
        with self.lock:
            session = self._get("checkout.session", session_id)
            if session["status"] != "open":
                raise ValueError(f"{session_id} is {session['status']}, not open")
            session.update(status="expired", url=None)
            return self._emit("checkout.session.expired", session)

    # --- renewals -----------------------------------------------------------------------

    def renew(self, subscription_id: str) -> dict:
        """The next billing period starts and its invoice is paid. If the latest invoice is
        still open (after `fail_renewal`), that invoice is retried successfully instead and
        the subscription returns to "active". Returns `invoice.paid`."""
        with self.lock:
            sub = self._live_subscription(subscription_id)
            invoice = self.objects[sub["latest_invoice"]]
            if invoice["status"] != "open":
                invoice = self._next_period_invoice(sub)
            self._attempt_invoice(invoice, "succeeded")
            self._emit("invoice.payment_succeeded", invoice)
            event = self._emit("invoice.paid", invoice)
            self._set_subscription_status(sub, "active")
            return event

    def fail_renewal(self, subscription_id: str) -> list[dict]:
        """The renewal charge is declined: returns [`invoice.payment_failed`,
        `customer.subscription.updated` (status active -> past_due)]. Calling it again retries
        the same open invoice and fails again: only `invoice.payment_failed` is returned, as
        the subscription's status doesn't change."""
        with self.lock:
            sub = self._live_subscription(subscription_id)
            invoice = self.objects[sub["latest_invoice"]]
            if invoice["status"] != "open":
                invoice = self._next_period_invoice(sub)
            self._attempt_invoice(invoice, "failed")
            events = [self._emit("invoice.payment_failed", invoice)]
            updated = self._set_subscription_status(sub, "past_due")
            return events + ([updated] if updated else [])

    def _live_subscription(self, subscription_id: str) -> dict:
        sub = self._get("subscription", subscription_id)
        if sub["status"] in ("canceled", "incomplete_expired"):
            raise ValueError(f"{subscription_id} is {sub['status']}")
        if sub["cancel_at_period_end"]:
            raise ValueError(
                f"{subscription_id} ends at period end; Stripe would cancel it rather than "
                "renew (use cancel_subscription)"
            )
        return sub

    def _next_period_invoice(self, sub: dict) -> dict:
        """Advance every item one period. The renewal invoice's own period_start/period_end
        are the period that just ended (Stripe's convention); its line's period is the new one."""
        first = sub["items"]["data"][0]
        ended = billing.item_period(first)
        for item in sub["items"]["data"]:
            recurring = item["price"]["recurring"]
            start = item["current_period_end"]
            item["current_period_start"] = start
            item["current_period_end"] = add_interval(
                start, recurring["interval"], recurring["interval_count"]
            )
        return self._new_invoice(sub, "subscription_cycle", ended)

    def _set_subscription_status(self, sub: dict, status: str) -> dict | None:
        if sub["status"] == status:
            return None
        previous = {"status": sub["status"]}
        sub["status"] = status
        return self._emit("customer.subscription.updated", sub, previous)

    def cancel_subscription(self, subscription_id: str, reason: str = "cancellation_requested"):
        """The subscription ends now (reason: "cancellation_requested", "payment_failed" or
        "payment_disputed"). Returns `customer.subscription.deleted`."""
        with self.lock:
            return self._cancel(self._get("subscription", subscription_id), reason)

    # --- refunds and disputes -------------------------------------------------------------

    def refund(self, charge_id: str, amount: int | None = None, reason: str | None = None):
        """A refund made outside the app (e.g. in the Dashboard). Returns `charge.refunded`,
        whose charge carries the cumulative `amount_refunded` and `refunded`. Refusals raise
        the same StripeError the API would answer with."""
        with self.lock:
            _, event = self._refund(self._get("charge", charge_id), amount, reason=reason)
            return event

    def open_dispute(self, charge_id: str, reason: str = "fraudulent", amount: int | None = None):
        """The cardholder disputes the charge. Returns `charge.dispute.created`."""
        with self.lock:
            the_charge = self._get("charge", charge_id)
            if the_charge["disputed"]:
                raise ValueError(f"{charge_id} is already disputed")
            amount = amount if amount is not None else the_charge["amount"]
            dispute = self._put(pay.dispute(the_charge, amount, reason, self.now()))
            the_charge["disputed"] = True
            return self._emit("charge.dispute.created", dispute)

    def close_dispute(self, dispute_id: str, won: bool) -> dict:
        """The bank decides. Returns `charge.dispute.closed` with status "won" or "lost"."""
        with self.lock:
            dispute = self._get("dispute", dispute_id)
            if dispute["status"] in ("won", "lost"):
                raise ValueError(f"{dispute_id} is already {dispute['status']}")
            previous = {"status": dispute["status"]}
            dispute["status"] = "won" if won else "lost"
            dispute["evidence_details"]["has_evidence"] = True
            return self._emit("charge.dispute.closed", dispute, previous)
