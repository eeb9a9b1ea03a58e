"""Builders for Stripe objects in the current API shape (the SDK's `stripe.api_version`).

Every builder returns a plain dict with the full top-level key set Stripe sends for that object
type (checked against ../shared/provider-specs by tests/fakes_selftest), filled with the nulls
and defaults a simple card payment in test mode really has. This module has the shared pieces
(ids, lists, products, prices, customers, events); stripe_objects_payments has Checkout,
PaymentIntents, charges, refunds and disputes; stripe_objects_billing has subscriptions and
invoices.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

_ALPHABET = string.ascii_letters + string.digits
NULL_ADDRESS = {
    "city": None,
    "country": None,
    "line1": None,
    "line2": None,
    "postal_code": None,
    "state": None,
}


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def list_object(data: list[dict], url: str, has_more: bool = False) -> dict:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def product(name: str, created: int, description: str | None = None) -> dict:
    return {
        "id": new_id("prod_", 14),
        "object": "product",
        "active": True,
        "created": created,
        "default_price": None,
        "description": description,
        "images": [],
        "livemode": False,
        "marketing_features": [],
        "metadata": {},
        "name": name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": None,
        "updated": created,
        "url": None,
    }


def price(
    product_id: str,
    currency: str,
    unit_amount: int,
    created: int,
    recurring: dict | None = None,
) -> dict:
    """`recurring` is `{"interval": "month", "interval_count": 1}` or None for one-time."""
    return {
        "id": new_id("price_"),
        "object": "price",
        "active": False,  # prices made from inline price_data can't be reused
        "billing_scheme": "per_unit",
        "created": created,
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "product": product_id,
        "recurring": None
        if recurring is None
        else {
            "interval": recurring["interval"],
            "interval_count": recurring.get("interval_count", 1),
            "meter": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        },
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time" if recurring is None else "recurring",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }


def plan_from_price(the_price: dict) -> dict:
    """The legacy `plan` twin Stripe still puts beside `price` on subscription items."""
    recurring = the_price["recurring"]
    return {
        "id": the_price["id"],
        "object": "plan",
        "active": the_price["active"],
        "amount": the_price["unit_amount"],
        "amount_decimal": the_price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": the_price["created"],
        "currency": the_price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": False,
        "metadata": {},
        "meter": None,
        "nickname": None,
        "product": the_price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def customer(email: str, name: str | None, created: int, payment_method: str) -> dict:
    return {
        "id": new_id("cus_", 14),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": created,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": email,
        "invoice_prefix": new_id("", 8).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": payment_method,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": name,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def portal_session(base_url: str, customer_id: str, return_url: str | None, created: int) -> dict:
    session_id = new_id("bps_")
    return {
        "id": session_id,
        "object": "billing_portal.session",
        "configuration": new_id("bpc_"),
        "created": created,
        "customer": customer_id,
        "customer_account": None,
        "flow": None,
        "livemode": False,
        "locale": None,
        "on_behalf_of": None,
        "return_url": return_url,
        "url": f"{base_url}/billing/{session_id}",
    }


def event(
    event_type: str,
    obj: dict,
    *,
    api_version: str,
    created: int,
    previous_attributes: dict | None = None,
    request: dict | None = None,
) -> dict:
    data: dict[str, Any] = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": new_id("evt_"),
        "object": "event",
        "api_version": api_version,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": request or {"id": None, "idempotency_key": None},
        "type": event_type,
    }
