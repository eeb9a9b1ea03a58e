"""Catalog products and billing plans of FakePayPalServer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from .paypal_common import Call, Checks, fail, iso, link, money, new_id, not_found


@dataclass
class Plan:
    id: str
    product_id: str
    name: str
    status: str
    cycles: list[dict]  # sequence, tenure_type, interval_unit, interval_count, total_cycles, price
    currency: str
    preferences: dict
    create_time: datetime
    description: str | None = None
    quantity_supported: bool = False


class CatalogApi:
    """Mixin: needs self.products, self.plans, self.url, self.now(), self.strict_amounts."""

    # --- catalog products ------------------------------------------------------------------

    def api_create_product(self, call: Call) -> tuple[int, dict]:
        body, c = call.body, Checks("catalog")
        c.text(body, "id", "/id", min_length=6, max_length=50)
        c.text(body, "name", "/name", required=True, max_length=127)
        c.text(body, "type", "/type", required=True, max_length=24,
               enum=("PHYSICAL", "DIGITAL", "SERVICE"))
        c.text(body, "description", "/description", max_length=256)
        c.text(body, "category", "/category", max_length=256, pattern=r"^[A-Z_]+$")
        c.url(body, "image_url", "/image_url")
        c.url(body, "home_url", "/home_url")
        c.done()
        product_id = body.get("id") or new_id("PROD-", 17)
        if product_id in self.products:
            fail(422, "DUPLICATE_RESOURCE_IDENTIFIER", "/id", product_id)
        now = iso(self.now())
        fields = ("name", "description", "type", "category", "image_url", "home_url")
        product = {"id": product_id, **{k: body[k] for k in fields if body.get(k) is not None}}
        api = f"{self.url}/v1/catalogs/products/{product_id}"
        product.update(create_time=now, update_time=now,
                       links=[link(api, "self"), link(api, "edit", "PATCH")])
        self.products[product_id] = product
        return 201, product

    def api_get_product(self, call: Call) -> tuple[int, dict]:
        product = self.products.get(call.args[0])
        if product is None:
            raise not_found(call.args[0], "product_id")
        return 200, product

    # --- plans ---------------------------------------------------------------------------

    def api_create_plan(self, call: Call) -> tuple[int, dict]:
        body, c = call.body, Checks("billing", self.strict_amounts)
        product_id = c.text(body, "product_id", "/product_id", required=True, min_length=6,
                            max_length=50)
        c.text(body, "name", "/name", required=True, max_length=127)
        c.text(body, "description", "/description", max_length=127)
        c.text(body, "status", "/status", max_length=24, enum=("CREATED", "INACTIVE", "ACTIVE"))
        cycles = []
        for i, cycle in enumerate(c.array(body, "billing_cycles", "/billing_cycles",
                                          required=True, max_items=12)):
            p = f"/billing_cycles/{i}"
            frequency = c.obj(cycle, "frequency", f"{p}/frequency", required=True)
            unit = c.text(frequency, "interval_unit", f"{p}/frequency/interval_unit", max_length=24,
                          required=frequency is not None, enum=("DAY", "WEEK", "MONTH", "YEAR"))
            count = c.integer(frequency, "interval_count", f"{p}/frequency/interval_count", 1, 365)
            tenure = c.text(cycle, "tenure_type", f"{p}/tenure_type", required=True,
                            max_length=24, enum=("REGULAR", "TRIAL"))
            sequence = c.integer(cycle, "sequence", f"{p}/sequence", 1, 99, required=True)
            total = c.integer(cycle, "total_cycles", f"{p}/total_cycles", 0, 999)
            scheme = c.obj(cycle, "pricing_scheme", f"{p}/pricing_scheme",
                           required=tenure == "REGULAR")
            price = None
            if scheme is not None:
                price = c.money(scheme, "fixed_price", f"{p}/pricing_scheme/fixed_price",
                                required=True, zero_ok=tenure == "TRIAL")
            cycles.append({"sequence": sequence, "tenure_type": tenure, "interval_unit": unit,
                           "interval_count": count or 1, "price": price,
                           "total_cycles": 1 if total is None else total})  # PayPal's default: 1
        preferences = c.obj(body, "payment_preferences", "/payment_preferences", required=True)
        fee = c.money(preferences, "setup_fee", "/payment_preferences/setup_fee", zero_ok=True)
        c.text(preferences, "setup_fee_failure_action",
               "/payment_preferences/setup_fee_failure_action", enum=("CONTINUE", "CANCEL"))
        c.integer(preferences, "payment_failure_threshold",
                  "/payment_preferences/payment_failure_threshold", 0, 999)
        c.done()
        if product_id not in self.products:
            raise not_found(product_id, "/product_id")
        currencies = {cycle["price"][1] for cycle in cycles if cycle["price"]}
        currencies |= {fee[1]} if fee else set()
        if len(currencies) > 1:
            fail(422, "CURRENCY_MISMATCH", "/billing_cycles",
                 description="All currency codes in the request should be of similar value.")
        sequences = [cycle["sequence"] for cycle in cycles]
        if len(set(sequences)) != len(sequences):
            fail(422, "INVALID_BILLING_CYCLE_SEQUENCE", "/billing_cycles")
        currency = currencies.pop() if currencies else "USD"
        prefs = {"service_type": "PREPAID", "auto_bill_outstanding": True,
                 "setup_fee": money(Decimal(0), currency), "setup_fee_failure_action": "CANCEL",
                 "payment_failure_threshold": 0, **preferences}
        plan = Plan(
            id=new_id("P-", 24), product_id=product_id, name=body["name"],
            status=body.get("status", "ACTIVE"), currency=currency, preferences=prefs,
            cycles=[{**cycle, "price": cycle["price"] and cycle["price"][0]} for cycle in cycles],
            create_time=self.now(), description=body.get("description"),
            quantity_supported=bool(body.get("quantity_supported")),
        )
        self.plans[plan.id] = plan
        full = self.plan_json(plan)
        if call.representation:
            return 201, full
        keys = ("id", "product_id", "name", "status", "description", "usage_type", "create_time",
                "links")
        return 201, {key: full[key] for key in keys if key in full}

    def plan_json(self, plan: Plan, overrides: dict[int, Decimal] | None = None) -> dict:
        api = f"{self.url}/v1/billing/plans/{plan.id}"
        stamp = iso(plan.create_time)
        cycles = []
        for cycle in plan.cycles:
            price = (overrides or {}).get(cycle["sequence"], cycle["price"])
            scheme: dict[str, Any] = {"version": 1}
            if price is not None:
                scheme["fixed_price"] = money(price, plan.currency)
            scheme.update(create_time=stamp, update_time=stamp)
            cycles.append({
                "pricing_scheme": scheme,
                "frequency": {"interval_unit": cycle["interval_unit"],
                              "interval_count": cycle["interval_count"]},
                "tenure_type": cycle["tenure_type"],
                "sequence": cycle["sequence"],
                "total_cycles": cycle["total_cycles"],
            })
        payload: dict[str, Any] = {"id": plan.id, "product_id": plan.product_id,
                                   "name": plan.name, "status": plan.status}
        if plan.description:
            payload["description"] = plan.description
        payload.update(usage_type="LICENSED", billing_cycles=cycles,
                       payment_preferences=plan.preferences,
                       quantity_supported=plan.quantity_supported, create_time=stamp,
                       update_time=stamp,
                       links=[link(api, "self"), link(api, "edit", "PATCH"),
                              link(f"{api}/deactivate", "deactivate", "POST")])
        return payload

    def api_get_plan(self, call: Call) -> tuple[int, dict]:
        plan = self.plans.get(call.args[0])
        if plan is None:
            raise not_found(call.args[0])
        return 200, self.plan_json(plan)
