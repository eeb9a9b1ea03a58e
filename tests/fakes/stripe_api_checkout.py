"""The fake's Checkout Session endpoints, plus the validation helpers all endpoints share.

Validation follows Stripe's rules and wording for the cases a donation form can hit. Parameters
Stripe accepts but this fake does not model are refused with a 400 whose message starts with
"FakeStripeServer:" instead of being silently ignored, so tests never pass on a parameter that
had no effect. Each endpoint takes the decoded params and returns the (live) object.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from . import stripe_objects as obj
from . import stripe_objects_payments as pay
from .stripe_params import (
    StripeError,
    as_bool,
    as_dict,
    as_int,
    as_list,
    created_matches,
    metadata,
    missing,
    no_such,
    paginate,
)
from .stripe_store import INTERVALS, StripeStore

MAX_AMOUNT = 99_999_999
MIN_CHARGE = {"gbp": 30, "jpy": 50, "huf": 17500, "hkd": 400, "mxn": 1000, "sek": 300}
ZERO_DECIMAL = {"jpy", "krw", "vnd", "clp", "xof", "xaf", "ugx", "pyg", "rwf", "kmf", "bif"}
SESSION_FIELDS = {
    "mode", "success_url", "cancel_url", "line_items", "metadata", "client_reference_id",
    "customer", "customer_email", "customer_creation", "submit_type", "subscription_data",
    "payment_intent_data", "expires_at", "locale", "ui_mode", "expand", "allow_promotion_codes",
    "billing_address_collection",
}  # fmt: skip
SUBSCRIPTION_DATA_FIELDS = {"metadata", "description"}
INTENT_DATA_FIELDS = {"metadata", "description", "receipt_email"}


def not_implemented(params: dict, handled: set[str], prefix: str = "") -> None:
    for key in params:
        if key not in handled:
            raise StripeError(
                400,
                f"FakeStripeServer: `{prefix}{key}` is a valid Stripe parameter but the fake "
                "does not model it; extend tests/fakes if the app needs it.",
                param=f"{prefix}{key}",
            )


def valid_url(value: Any, param: str) -> str:
    if not isinstance(value, str) or not re.match(r"https?://[^\s/]+", value):
        raise StripeError(400, "Not a valid URL", param=param, code="url_invalid")
    return value


def enum(value: Any, allowed: tuple[str, ...], param: str) -> str:
    if value not in allowed:
        choices = ", ".join(allowed[:-1]) + f", or {allowed[-1]}"
        raise StripeError(400, f"Invalid {param}: must be one of {choices}", param=param)
    return value


def currency_code(value: Any, param: str) -> str:
    if value is None:
        raise missing(param)
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value):
        raise StripeError(400, f"Invalid currency: {value}", param=param)
    return value.lower()


class CheckoutApi(StripeStore):
    def api_create_session(self, params: dict) -> dict:
        not_implemented(params, SESSION_FIELDS)
        if "mode" not in params:
            raise missing("mode")
        mode = enum(params["mode"], ("payment", "setup", "subscription"), "mode")
        if mode == "setup":
            raise StripeError(400, "FakeStripeServer: mode=setup is not modelled.", param="mode")
        ui_mode = params.get("ui_mode", "hosted_page")
        if ui_mode != "hosted_page":
            raise StripeError(400, "FakeStripeServer: only ui_mode=hosted_page.", param="ui_mode")
        if "success_url" not in params:
            raise missing("success_url")
        valid_url(params["success_url"], "success_url")
        if "cancel_url" in params:
            valid_url(params["cancel_url"], "cancel_url")
        self._check_mode_params(params, mode)
        session_meta = metadata(params.get("metadata"))
        items = self._line_items(params, mode)
        currency = items[0]["currency"]
        total = sum(i["amount_total"] for i in items)
        minimum = MIN_CHARGE.get(currency, 50)
        if mode == "payment" and total < minimum:
            raise StripeError(
                400,
                "The Checkout Session's total amount due must add up to at least "
                f"{_major(minimum, currency)} {currency}",
            )
        now = self.now()
        expires_at = now + 86400
        if "expires_at" in params:
            expires_at = as_int(params["expires_at"], "expires_at")
            if not now + 1800 <= expires_at <= now + 86400:
                raise StripeError(
                    400,
                    "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                    "Checkout Session creation.",
                    param="expires_at",
                )
        echo = dict(params, metadata=session_meta)
        if "allow_promotion_codes" in params:
            echo["allow_promotion_codes"] = as_bool(
                params["allow_promotion_codes"], "allow_promotion_codes"
            )
        session = self._put(
            pay.checkout_session(
                base_url=self.base_url,
                mode=mode,
                created=now,
                expires_at=expires_at,
                currency=currency,
                amount_total=total,
                params=echo,
            )
        )
        session["allow_promotion_codes"] = echo.get("allow_promotion_codes")
        self.session_line_items[session["id"]] = items
        self.session_params[session["id"]] = copy.deepcopy(params)
        return session

    def _check_mode_params(self, params: dict, mode: str) -> None:
        if mode == "payment" and "subscription_data" in params:
            raise StripeError(
                400,
                "You can not pass `subscription_data` in `payment` mode.",
                param="subscription_data",
            )
        if mode == "subscription":
            for name in ("payment_intent_data", "customer_creation"):
                if name in params:
                    raise StripeError(
                        400, f"You can not pass `{name}` in `subscription` mode.", param=name
                    )
        sub_data = as_dict(params.get("subscription_data"), "subscription_data")
        not_implemented(sub_data, SUBSCRIPTION_DATA_FIELDS, "subscription_data.")
        metadata(sub_data.get("metadata"), "subscription_data[metadata]")
        intent_data = as_dict(params.get("payment_intent_data"), "payment_intent_data")
        not_implemented(intent_data, INTENT_DATA_FIELDS, "payment_intent_data.")
        metadata(intent_data.get("metadata"), "payment_intent_data[metadata]")
        if "customer_creation" in params:
            enum(params["customer_creation"], ("always", "if_required"), "customer_creation")
        if "submit_type" in params:
            enum(
                params["submit_type"],
                ("auto", "book", "donate", "pay", "subscribe"),
                "submit_type",
            )
        if "customer" in params and "customer_email" in params:
            raise StripeError(
                400,
                "You may only specify one of these parameters: customer, customer_email.",
                param="customer_email",
            )
        if "customer" in params:
            self._get("customer", params["customer"], param="customer", status=400)
        email = params.get("customer_email")
        if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise StripeError(
                400, f"Invalid email address: {email}", param="customer_email", code="email_invalid"
            )
        if len(params.get("client_reference_id", "")) > 200:
            raise StripeError(
                400,
                "Invalid string: must be at most 200 characters",
                param="client_reference_id",
            )

    def _line_items(self, params: dict, mode: str) -> list[dict]:
        raw = as_list(params.get("line_items"), "line_items")
        if not raw:
            raise missing("line_items")
        items, intervals = [], set()
        for index, entry in enumerate(raw):
            here = f"line_items[{index}]"
            entry = as_dict(entry, here)
            if "price" in entry:
                raise no_such("price", entry["price"], param=f"{here}[price]", status=400)
            if "price_data" not in entry:
                raise StripeError(
                    400, f"You must specify either `price` or `price_data` in `{here}`.", param=here
                )
            if "quantity" not in entry:
                raise StripeError(
                    400,
                    f"Quantity is required. Add `quantity` to `{here}`",
                    param=f"{here}[quantity]",
                )
            quantity = as_int(entry["quantity"], f"{here}[quantity]", minimum=1)
            the_price, name = self._price_from_data(entry["price_data"], f"{here}[price_data]")
            if the_price["recurring"]:
                recurring = the_price["recurring"]
                intervals.add((recurring["interval"], recurring["interval_count"]))
            items.append(pay.checkout_item(the_price, quantity, name))
        if mode == "payment" and intervals:
            raise StripeError(
                400,
                "You specified `payment` mode but passed a recurring price. Either switch to "
                "`subscription` mode or use only one-time prices.",
                param="line_items",
            )
        if mode == "subscription" and not intervals:
            raise StripeError(
                400,
                "You must provide at least one recurring price in `subscription` mode when "
                "using prices.",
                param="line_items",
            )
        if mode == "subscription" and any(i["price"]["recurring"] is None for i in items):
            raise StripeError(
                400,
                "FakeStripeServer: one-time line items in subscription mode are not modelled.",
                param="line_items",
            )
        if len(intervals) > 1:
            raise StripeError(
                400,
                "Checkout does not support multiple prices with different billing intervals.",
                param="line_items",
            )
        if len({i["currency"] for i in items}) > 1:
            raise StripeError(
                400, "All line items must have the same currency.", param="line_items"
            )
        return items

    def _price_from_data(
        self, data: Any, here: str, *, product_required: bool = False
    ) -> tuple[dict, str]:
        data = as_dict(data, here)
        currency = currency_code(data.get("currency"), f"{here}[currency]")
        if "unit_amount" in data:
            amount = as_int(data["unit_amount"], f"{here}[unit_amount]")
        elif "unit_amount_decimal" in data:
            raise StripeError(
                400, "FakeStripeServer: use unit_amount.", param=f"{here}[unit_amount_decimal]"
            )
        else:
            raise missing(f"{here}[unit_amount]")
        if amount > MAX_AMOUNT:
            raise StripeError(
                400,
                f"Amount must be no more than {_major(MAX_AMOUNT, currency)} {currency}",
                param=f"{here}[unit_amount]",
            )
        if "product" in data:
            the_product = self._get(
                "product", data["product"], param=f"{here}[product]", status=400
            )
        elif product_required:
            raise missing(f"{here}[product]")
        else:
            product_data = as_dict(data.get("product_data"), f"{here}[product_data]")
            if "product_data" not in data:
                raise StripeError(
                    400,
                    f"You must specify either `product` or `product_data` in `{here}`.",
                    param=here,
                )
            if not product_data.get("name"):
                raise missing(f"{here}[product_data][name]")
            the_product = self._put(
                obj.product(product_data["name"], self.now(), product_data.get("description"))
            )
        recurring = None
        if "recurring" in data:
            spec = as_dict(data["recurring"], f"{here}[recurring]")
            if "interval" not in spec:
                raise missing(f"{here}[recurring][interval]")
            recurring = {
                "interval": enum(spec["interval"], INTERVALS, f"{here}[recurring][interval]"),
                "interval_count": as_int(
                    spec.get("interval_count", "1"), f"{here}[recurring][interval_count]", minimum=1
                ),
            }
        the_price = self._put(obj.price(the_product["id"], currency, amount, self.now(), recurring))
        return the_price, the_product["name"]

    def api_list_sessions(self, params: dict) -> dict:
        filters = {
            k: params.get(k) for k in ("status", "customer", "payment_intent", "subscription")
        }
        if "status" in params:
            enum(params["status"], ("complete", "expired", "open"), "status")
        email = as_dict(params.get("customer_details"), "customer_details").get("email")
        found = [
            s
            for s in self._all("checkout.session")
            if all(s[k] == v for k, v in filters.items() if v is not None)
            and created_matches(s["created"], params.get("created"))
            and (email is None or (s["customer_details"] or {}).get("email") == email)
        ]
        return paginate(found, params, "/v1/checkout/sessions", "checkout.session")

    def api_session_line_items(self, session_id: str, params: dict) -> dict:
        self._get("checkout.session", session_id)
        items = list(self.session_line_items[session_id])
        url = f"/v1/checkout/sessions/{session_id}/line_items"
        return paginate(items, params, url, "item")

    def api_expire_session(self, session_id: str, params: dict) -> dict:
        session = self._get("checkout.session", session_id)
        if session["status"] != "open":
            raise StripeError(
                400,
                f'Only Checkout Sessions with a status in ["open"] can be expired. This '
                f'Checkout Session has a status of "{session["status"]}".',
            )
        session.update(status="expired", url=None)
        self._emit("checkout.session.expired", session)
        return session


def _major(amount: int, currency: str) -> str:
    if currency in ZERO_DECIMAL:
        return f"{amount:,}"
    text = f"{amount / 100:,.2f}"
    return f"${text}" if currency == "usd" else text
