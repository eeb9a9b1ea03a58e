"""PayPal's catalog product and one monthly plan per currency, created once and remembered;
and transaction-search rows read back as the events we should have had (reconcile)."""

import json

from paypalserversdk.models.cycle_frequency import CycleFrequency
from paypalserversdk.models.interval_unit import IntervalUnit
from paypalserversdk.models.money import Money as PayPalMoney
from paypalserversdk.models.payment_preferences import PaymentPreferences
from paypalserversdk.models.plan_request import PlanRequest
from paypalserversdk.models.subscription_billing_cycle import SubscriptionBillingCycle
from paypalserversdk.models.subscription_pricing_scheme import SubscriptionPricingScheme
from paypalserversdk.models.tenure_type import TenureType
from sqlalchemy.exc import IntegrityError

from donate.extensions import db
from donate.money import Money
from donate.payments.base import InboundEvent
from donate.payments.models import ProviderObject

#: Transaction-search event codes: checkout captures and subscription payments.
CAPTURE_CODES = {"T0006", "T0003"}
SUBSCRIPTION_PAYMENT_CODE = "T0002"


def plan_for(provider, currency: str) -> str:
    """The monthly plan for a currency; the donor's amount overrides its placeholder price."""
    purpose = f"plan:{currency}"
    known = db.session.get(ProviderObject, ("paypal", purpose))
    if known:
        return known.provider_id
    product_id = _product(provider)
    cycle = SubscriptionBillingCycle(
        frequency=CycleFrequency(interval_unit=IntervalUnit.MONTH, interval_count=1),
        tenure_type=TenureType.REGULAR, sequence=1,
        total_cycles=0,  # until cancelled: PayPal's (and the SDK's) default is one cycle
        pricing_scheme=SubscriptionPricingScheme(fixed_price=PayPalMoney(
            currency_code=currency, value=Money(100, currency).major_text())))
    plan = provider.sdk.subscriptions.create_billing_plan({
        "body": PlanRequest(product_id=product_id, name=f"Monthly donation ({currency})",
                            billing_cycles=[cycle],
                            payment_preferences=PaymentPreferences(payment_failure_threshold=3)),
        # Deterministic: two first pledges at once get the same plan from PayPal.
        "paypal_request_id": f"plan-{currency}-{product_id}"}).body
    return _remember(purpose, plan.id)


def _product(provider) -> str:
    known = db.session.get(ProviderObject, ("paypal", "product"))
    if known:
        return known.provider_id
    product = provider.http.post("/v1/catalogs/products", {
        "name": f"Donations to {provider.org_name}"[:127], "type": "SERVICE",
        "category": "NONPROFIT"}, request_id="product-donations")
    return _remember("product", product["id"])


def _remember(purpose: str, provider_id: str) -> str:
    try:
        with db.session.begin_nested():
            db.session.add(ProviderObject(provider="paypal", purpose=purpose,
                                          provider_id=provider_id))
    except IntegrityError:  # remembered concurrently; PayPal gave both the same object
        pass
    db.session.commit()
    return provider_id


def transaction_as_event(item: dict) -> InboundEvent | None:
    """A successful payment row of transaction search, as the webhook event it stands for."""
    info = item["transaction_info"]
    if info.get("transaction_status") != "S":
        return None
    amount = info["transaction_amount"]
    code = info.get("transaction_event_code")
    if code == SUBSCRIPTION_PAYMENT_CODE:
        type_, resource = "PAYMENT.SALE.COMPLETED", {
            "id": info["transaction_id"], "custom": info.get("custom_field"),
            "billing_agreement_id": info.get("paypal_reference_id"),
            "amount": {"total": amount["value"], "currency": amount["currency_code"]}}
    elif code in CAPTURE_CODES:
        type_, resource = "PAYMENT.CAPTURE.COMPLETED", {
            "id": info["transaction_id"], "status": "COMPLETED",
            "custom_id": info.get("custom_field"), "amount": amount}
    else:
        return None
    event_id = f"reconcile-{info['transaction_id']}"
    return InboundEvent(event_id, type_, json.dumps({
        "id": event_id, "event_type": type_, "resource": resource,
        "create_time": info.get("transaction_initiation_date", "").replace("+0000", "Z")}))
