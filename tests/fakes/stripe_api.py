"""The fake's other endpoints: invoices, invoice payments, events, subscriptions, refunds and
the customer portal (Checkout Sessions are in stripe_api_checkout)."""

from __future__ import annotations

import copy

from . import stripe_objects as obj
from . import stripe_objects_billing as billing
from .stripe_api_checkout import CheckoutApi, enum, not_implemented, valid_url
from .stripe_params import (
    StripeError,
    as_bool,
    as_dict,
    as_int,
    as_list,
    created_matches,
    merge_metadata,
    metadata,
    missing,
    no_such,
    paginate,
)

SUBSCRIPTION_UPDATE_FIELDS = {
    "metadata", "cancel_at_period_end", "cancel_at", "cancellation_details", "description",
    "items", "proration_behavior", "expand",
}  # fmt: skip


class StripeApi(CheckoutApi):
    # --- invoices, events, read-only objects ------------------------------------------

    def api_list_invoices(self, params: dict) -> dict:
        if "status" in params:
            enum(params["status"], ("draft", "open", "paid", "uncollectible", "void"), "status")
        found = [
            i
            for i in self._all("invoice")
            if created_matches(i["created"], params.get("created"))
            and params.get("status") in (None, i["status"])
            and params.get("customer") in (None, i["customer"])
            and params.get("collection_method") in (None, i["collection_method"])
            and params.get("subscription")
            in (None, i["parent"]["subscription_details"]["subscription"])
        ]
        return paginate(found, params, "/v1/invoices", "invoice")

    def api_list_invoice_payments(self, params: dict) -> dict:
        found = [
            p
            for p in self._all("invoice_payment")
            if params.get("invoice") in (None, p["invoice"])
            and params.get("status") in (None, p["status"])
            and created_matches(p["created"], params.get("created"))
        ]
        return paginate(found, params, "/v1/invoice_payments", "invoice_payment")

    def api_list_events(self, params: dict) -> dict:
        wanted = [params["type"]] if "type" in params else as_list(params.get("types"), "types")
        found = [
            e
            for e in reversed(self.events)
            if created_matches(e["created"], params.get("created"))
            and (not wanted or any(_type_matches(e["type"], w) for w in wanted))
        ]
        return paginate(found, params, "/v1/events", "event")

    # --- subscriptions ------------------------------------------------------------------

    def api_update_subscription(self, sub_id: str, params: dict) -> dict:
        sub = self._get("subscription", sub_id)
        not_implemented(params, SUBSCRIPTION_UPDATE_FIELDS)
        if sub["status"] == "canceled" and set(params) - {"metadata", "cancellation_details"}:
            raise StripeError(
                400,
                "A canceled subscription can only update its cancellation_details and metadata.",
            )
        before = copy.deepcopy(sub)
        if "proration_behavior" in params:
            enum(
                params["proration_behavior"],
                ("always_invoice", "create_prorations", "none"),
                "proration_behavior",
            )
        if "metadata" in params:
            sub["metadata"] = merge_metadata(sub["metadata"], params["metadata"])
        if "description" in params:
            sub["description"] = params["description"] or None
        if "cancellation_details" in params:
            details = as_dict(params["cancellation_details"], "cancellation_details")
            for key in ("comment", "feedback"):
                if key in details:
                    sub["cancellation_details"][key] = details[key] or None
        period_end = sub["items"]["data"][0]["current_period_end"]
        if "cancel_at_period_end" in params:
            flag = as_bool(params["cancel_at_period_end"], "cancel_at_period_end")
            sub.update(cancel_at_period_end=flag, cancel_at=period_end if flag else None)
            sub["cancellation_details"]["reason"] = "cancellation_requested" if flag else None
        if "cancel_at" in params:
            cancel_at = params["cancel_at"]
            sub["cancel_at"] = None if cancel_at == "" else as_int(cancel_at, "cancel_at")
            sub["cancel_at_period_end"] = sub["cancel_at"] == period_end
        if "items" in params:
            self._update_items(sub, as_list(params["items"], "items"))
        previous = {k: before[k] for k in sub if sub[k] != before[k]}
        if previous:
            self._emit("customer.subscription.updated", sub, previous)
        return sub

    def _update_items(self, sub: dict, changes: list) -> None:
        items = sub["items"]["data"]
        period = billing.item_period(items[0])
        for index, change in enumerate(changes):
            here = f"items[{index}]"
            change = as_dict(change, here)
            current = None
            if "id" in change:
                current = next((i for i in items if i["id"] == change["id"]), None)
                if current is None:
                    raise no_such(
                        "subscription_item", change["id"], param=f"{here}[id]", status=400
                    )
            if as_bool(change.get("deleted", "false"), f"{here}[deleted]"):
                if current is None:
                    raise missing(f"{here}[id]")
                items.remove(current)
                continue
            the_price = None
            if "price_data" in change:
                the_price, _ = self._price_from_data(
                    change["price_data"], f"{here}[price_data]", product_required=True
                )
                if the_price["recurring"] is None:
                    raise missing(f"{here}[price_data][recurring]")
            elif "price" in change:
                the_price = self._get("price", change["price"], param=f"{here}[price]", status=400)
            quantity = as_int(change.get("quantity", "1"), f"{here}[quantity]", minimum=1)
            if current is None:
                if the_price is None:
                    raise StripeError(
                        400, f"Missing `price` or `price_data` in `{here}`.", param=here
                    )
                items.append(
                    billing.subscription_item(the_price, quantity, sub["id"], self.now(), period)
                )
                continue
            if the_price is not None:
                current.update(price=the_price, plan=obj.plan_from_price(the_price))
            if "quantity" in change:
                current["quantity"] = quantity
        if not items:
            raise StripeError(
                400,
                "A subscription must have at least one active plan. To cancel a subscription, "
                "please use the cancel endpoint.",
                param="items",
            )
        if len({(i["price"]["currency"], i["price"]["recurring"]["interval"]) for i in items}) > 1:
            raise StripeError(
                400,
                "Currency and interval fields must match across all plans on a subscription.",
                param="items",
            )
        if items[0]["price"]["currency"] != sub["currency"]:
            raise StripeError(
                400,
                f"The price specified has a currency of {items[0]['price']['currency']}, but "
                f"the subscription's currency is {sub['currency']}.",
                param="items",
            )

    def api_cancel_subscription(self, sub_id: str, params: dict) -> dict:
        sub = self._get("subscription", sub_id)
        not_implemented(params, {"cancellation_details", "expand", "invoice_now", "prorate"})
        details = as_dict(params.get("cancellation_details"), "cancellation_details")
        self._cancel(sub, "cancellation_requested", details)
        return sub

    # --- refunds and the customer portal -----------------------------------------------

    def api_create_refund(self, params: dict) -> dict:
        not_implemented(
            params, {"charge", "payment_intent", "amount", "reason", "metadata", "expand"}
        )
        if "charge" in params and "payment_intent" in params:
            raise StripeError(
                400,
                "You may only specify one of these parameters: charge, payment_intent.",
                param="payment_intent",
            )
        if "charge" in params:
            the_charge = self._get("charge", params["charge"], param="charge", status=400)
        elif "payment_intent" in params:
            intent = self._get(
                "payment_intent", params["payment_intent"], param="payment_intent", status=400
            )
            if intent["latest_charge"] is None:
                raise StripeError(
                    400,
                    f"This PaymentIntent ({intent['id']}) does not have a successful charge to "
                    "refund.",
                    param="payment_intent",
                )
            the_charge = self.objects[intent["latest_charge"]]
        else:
            raise StripeError(400, "One of charge or payment_intent is required.")
        amount = None
        if "amount" in params:
            amount = as_int(params["amount"], "amount", minimum=1)
        reason = params.get("reason")
        if reason is not None:
            enum(reason, ("duplicate", "fraudulent", "requested_by_customer"), "reason")
        the_refund, _ = self._refund(
            the_charge, amount, reason=reason, meta=metadata(params.get("metadata"))
        )
        return the_refund

    def api_create_portal_session(self, params: dict) -> dict:
        not_implemented(params, {"customer", "return_url", "expand", "locale"})
        if "customer" not in params:
            raise missing("customer")
        self._get("customer", params["customer"], param="customer", status=400)
        return_url = params.get("return_url")
        if return_url is not None:
            valid_url(return_url, "return_url")
        session = obj.portal_session(self.base_url, params["customer"], return_url, self.now())
        session["locale"] = params.get("locale")
        return self._put(session)


def _type_matches(event_type: str, pattern: str) -> bool:
    if pattern.endswith("*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern
