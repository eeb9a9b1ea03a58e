"""Builders for subscriptions and invoices, in the current API shape:

* invoice: no `subscription`, `charge` or `payment_intent` at the top level any more. The
  subscription is `invoice["parent"]["subscription_details"]["subscription"]` (its metadata
  snapshot beside it) and payments are `invoice_payment` objects (`GET /v1/invoice_payments?
  invoice=in_…`, or `expand[]=payments` on the invoice).
* subscription: `current_period_start/end` live on each item (`items.data[i]`), not on the
  subscription.
"""

from __future__ import annotations

from .stripe_objects import list_object, new_id, plan_from_price


def subscription_item(
    the_price: dict, quantity: int, subscription_id: str, created: int, period: tuple[int, int]
) -> dict:
    return {
        "id": new_id("si_", 14),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": created,
        "current_period_end": period[1],
        "current_period_start": period[0],
        "discounts": [],
        "metadata": {},
        "plan": plan_from_price(the_price),
        "price": the_price,
        "quantity": quantity,
        "subscription": subscription_id,
        "tax_rates": [],
    }


def subscription(
    *,
    customer_id: str,
    currency: str,
    created: int,
    metadata: dict,
    description: str | None,
    payment_method: str,
) -> dict:
    sub_id = new_id("sub_")
    return {
        "id": sub_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": created,
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic", "updated_at": None},
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": created,
        "currency": currency,
        "customer": customer_id,
        "customer_account": None,
        "days_until_due": None,
        "default_payment_method": payment_method,
        "default_source": None,
        "default_tax_rates": [],
        "description": description,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": list_object([], f"/v1/subscription_items?subscription={sub_id}"),
        "latest_invoice": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": metadata,
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": created,
        "status": "active",
        "test_clock": None,
        "transfer_data": None,
        "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": None,
    }


def invoice_line(invoice_id: str, sub: dict, item: dict, period: tuple[int, int]) -> dict:
    the_price = item["price"]
    amount = the_price["unit_amount"] * item["quantity"]
    interval = the_price["recurring"]["interval"]
    return {
        "id": new_id("il_"),
        "object": "line_item",
        "amount": amount,
        "currency": the_price["currency"],
        "description": f"{item['quantity']} × donation (at {amount / 100:.2f} / {interval})",
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": dict(sub["metadata"]),
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": sub["id"],
                "subscription_item": item["id"],
            },
            "type": "subscription_item_details",
        },
        "period": {"end": period[1], "start": period[0]},
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": {"price": the_price["id"], "product": the_price["product"]},
            "type": "price_details",
            "unit_amount_decimal": the_price["unit_amount_decimal"],
        },
        "quantity": item["quantity"],
        "quantity_decimal": str(item["quantity"]),
        "subscription": sub["id"],
        "subtotal": amount,
        "taxes": [],
    }


def invoice(
    *,
    base_url: str,
    sub: dict,
    the_customer: dict,
    billing_reason: str,
    created: int,
    period: tuple[int, int],
    number: str,
) -> dict:
    """A finalized, still unpaid invoice for `sub`; `period` is the invoice's own period_*."""
    invoice_id = new_id("in_")
    amount = sum(i["price"]["unit_amount"] * i["quantity"] for i in sub["items"]["data"])
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Fake Newsroom",
        "account_tax_ids": None,
        "amount_due": amount,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": amount,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "created": created,
        "currency": sub["currency"],
        "custom_fields": None,
        "customer": the_customer["id"],
        "customer_account": None,
        "customer_address": None,
        "customer_email": the_customer["email"],
        "customer_name": the_customer["name"],
        "customer_phone": None,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": created,
        "ending_balance": 0,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": f"{base_url}/invoice/{invoice_id}",
        "invoice_pdf": f"{base_url}/invoice/{invoice_id}/pdf",
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": list_object(
            [
                invoice_line(invoice_id, sub, item, item_period(item))
                for item in sub["items"]["data"]
            ],
            f"/v1/invoices/{invoice_id}/lines",
        ),
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": number,
        "on_behalf_of": None,
        "parent": {
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(sub["metadata"]),
                "subscription": sub["id"],
            },
            "type": "subscription_details",
        },
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": period[1],
        "period_start": period[0],
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "open",
        "status_transitions": {
            "finalized_at": created,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": amount,
        "subtotal_excluding_tax": amount,
        "test_clock": None,
        "total": amount,
        "total_discount_amounts": [],
        "total_excluding_tax": amount,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": created,
    }


def item_period(item: dict) -> tuple[int, int]:
    return item["current_period_start"], item["current_period_end"]


def invoice_payment(the_invoice: dict, intent: dict, created: int) -> dict:
    return {
        "id": new_id("inpay_"),
        "object": "invoice_payment",
        "amount_paid": None,
        "amount_requested": the_invoice["amount_due"],
        "created": created,
        "currency": the_invoice["currency"],
        "invoice": the_invoice["id"],
        "is_default": True,
        "livemode": False,
        "payment": {"payment_intent": intent["id"], "type": "payment_intent"},
        "status": "open",
        "status_transitions": {"canceled_at": None, "paid_at": None},
    }
