"""PayPal through paypal-server-sdk against FakePayPalServer: orders, subscriptions, webhooks."""

import json
import random
from datetime import date
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from donate.extensions import db
from donate.ledger.models import Donation, Pledge, ProviderEvent
from donate.money import Money
from donate.payments.models import ProviderObject
from donate.payments.refunds import request_refund
from donate.payments.registry import provider_named
from tests.fakes.paypal_openapi import SPEC_DIR, SPEC_DIR_SHOWN, spec_problems
from tests.fakes.paypal_server import FakePayPalServer
from tests.payments.flow import JSON, ProviderFlow, deliver_concurrently


@pytest.fixture
def fake_paypal():
    with FakePayPalServer() as fake:
        yield fake
    assert not fake.crashes


@pytest.fixture
def app_overrides(fake_paypal):
    return {"PAYPAL_CLIENT_ID": fake_paypal.client_id,
            "PAYPAL_CLIENT_SECRET": fake_paypal.client_secret,
            "PAYPAL_WEBHOOK_ID": fake_paypal.webhook_id, "PAYPAL_API_BASE": fake_paypal.url,
            "PROVIDER_TIMEOUT_SECONDS": 1}


class PayPalFlow(ProviderFlow):
    """Test helper: a reader giving through PayPal, and PayPal telling us about it."""

    provider = "paypal"

    def approve_and_return(self, started: dict, **approve):
        """The reader approves at PayPal and is sent back to our return page."""
        return_url = self.fake.approve(self.donation(started["id"]).checkout_ref, **approve)
        parts = urlsplit(return_url)
        return self.client.get(f"{parts.path}?{parts.query}")

    def deliver(self, event: dict, headers: dict | None = None):
        body, signed = self.fake.webhook_request(event)
        return self.client.post("/webhooks/paypal", data=body,
                                headers=signed if headers is None else headers)

    def deliver_all(self, events: list[dict]) -> None:
        for event in events:
            assert self.deliver(event).status_code == 200, event["event_type"]

    def capture_id(self, started: dict) -> str:
        return self.donation(started["id"]).payment_ref


@pytest.fixture
def paypal(client, fake_paypal) -> PayPalFlow:
    return PayPalFlow(client, fake_paypal)


def events_stored() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(ProviderEvent.id)))


def test_a_one_time_gift_creates_an_order_for_capture(paypal, fake_paypal):
    started = paypal.start(amount="10.50", currency="EUR", cover_fees="1")
    request = fake_paypal.last("POST", "/v2/checkout/orders")
    assert request.json["intent"] == "CAPTURE"
    [unit] = request.json["purchase_units"]
    assert unit["amount"] == {"currency_code": "EUR", "value": "11.24"}  # 3.49 % + 0.35
    assert unit["custom_id"] == started["id"]
    context = request.json["payment_source"]["paypal"]["experience_context"]
    assert context["return_url"].endswith(f"/paypal/return/{started['id']}")
    assert request.request_id == f"order-{started['id']}"
    assert started["redirect_url"].startswith(f"{fake_paypal.url}/approve/")


def test_the_reader_returns_and_the_order_is_captured_once(paypal, fake_paypal):
    started = paypal.start()
    response = paypal.approve_and_return(started)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/donations/{started['id']}/thanks")
    donation = paypal.donation(started["id"])
    assert donation.status == "completed" and donation.payment_ref
    assert donation.donor is not None
    path = f"/paypal/return/{started['id']}"
    assert paypal.client.get(path).status_code == 303  # a reload
    captures = [r for r in fake_paypal.requests if r.path.endswith("/capture")]
    assert {r.request_id for r in captures} == {f"capture-{started['id']}"}
    assert len(fake_paypal.capture_ids(donation.checkout_ref)) == 1
    assert events_stored() == 1


@pytest.mark.parametrize(("outcome", "status"), [("PENDING", "pending"),
                                                  ("DECLINED", "failed")])
def test_a_pending_or_declined_capture_is_recorded_as_such(paypal, outcome, status):
    started = paypal.start()
    paypal.approve_and_return(started, capture_status=outcome)
    assert paypal.donation(started["id"]).status == status


def test_a_pending_capture_completes_by_webhook(paypal, fake_paypal):
    started = paypal.start()
    paypal.approve_and_return(started, capture_status="PENDING")
    capture = fake_paypal.capture_ids(paypal.donation(started["id"]).checkout_ref)[0]
    paypal.deliver(fake_paypal.capture_completed(capture))
    assert paypal.donation(started["id"]).status == "completed"


def test_paypal_down_at_return_shows_a_retry_and_changes_nothing(paypal, fake_paypal):
    started = paypal.start()
    fake_paypal.approve(paypal.donation(started["id"]).checkout_ref)
    fake_paypal.fail_next("/v2/checkout/orders", status=500)
    response = paypal.client.get(f"/paypal/return/{started['id']}")
    assert response.status_code == 502
    assert b"could not confirm your payment with PayPal yet" in response.data
    assert paypal.donation(started["id"]).status == "pending"
    assert paypal.client.get(f"/paypal/return/{started['id']}").status_code == 303
    assert paypal.donation(started["id"]).status == "completed"


@pytest.mark.parametrize("status", [500, None])
def test_paypal_failing_at_checkout_tells_the_reader(paypal, fake_paypal, client, status):
    fake_paypal.fail_next("/v2/checkout/orders", status=status, delay=2 if status is None else 0)
    response = client.post("/donations", headers=JSON, data={
        "amount": "10", "currency": "EUR", "frequency": "once", "provider": "paypal"})
    assert response.status_code == 502
    assert "PayPal is not available right now" in response.get_json()["error"]
    assert paypal.donation(response.get_json()["id"]).status == "failed"


def subscribe(paypal, fake_paypal, amount="5") -> tuple[dict, str]:
    started = paypal.start(amount=amount, frequency="monthly")
    subscription = paypal.donation(started["id"]).checkout_ref
    paypal.approve_and_return(started)
    return started, subscription


def test_a_pledge_subscribes_with_the_donors_amount_on_a_remembered_plan(paypal, fake_paypal):
    first, _ = subscribe(paypal, fake_paypal, amount="5")
    subscribe(paypal, fake_paypal, amount="7.50")
    creates = [r.json for r in fake_paypal.requests if r.path == "/v1/billing/subscriptions"
               and r.method == "POST"]
    assert [c["plan"]["billing_cycles"][0]["pricing_scheme"]["fixed_price"] for c in creates] == [
        {"currency_code": "EUR", "value": "5.00"}, {"currency_code": "EUR", "value": "7.50"}]
    assert len([r for r in fake_paypal.requests if r.path == "/v1/billing/plans"]) == 1
    assert len([r for r in fake_paypal.requests if r.path == "/v1/catalogs/products"]) == 1
    assert db.session.get(ProviderObject, ("paypal", "plan:EUR")) is not None
    assert creates[0]["custom_id"] == paypal.donation(first["id"]).pledge.public_id
    assert paypal.donation(first["id"]).pledge.status == "active"


def installments(pledge_id: int) -> list[tuple[str, int]]:
    db.session.rollback()
    return [(row.status, row.charged_minor) for row in db.session.scalars(
        select(Donation).where(Donation.pledge_id == pledge_id).order_by(Donation.id))]


def test_a_monthly_life_with_a_failed_payment_and_a_cancellation(paypal, fake_paypal):
    started, subscription = subscribe(paypal, fake_paypal)
    pledge_id = paypal.donation(started["id"]).pledge_id
    paypal.deliver(fake_paypal.subscription_activated(subscription))
    paypal.deliver(fake_paypal.sale_completed(subscription))
    assert installments(pledge_id) == [("completed", 500)]  # the checkout's donation
    paypal.deliver(fake_paypal.sale_completed(subscription))
    paypal.deliver(fake_paypal.subscription_payment_failed(subscription))
    assert db.session.get(Pledge, pledge_id).status == "past_due"
    paypal.deliver(fake_paypal.sale_completed(subscription))
    assert db.session.get(Pledge, pledge_id).status == "active"
    assert request_refund(paypal.donation(started["id"])).ok is False  # dashboard only
    paypal.donation(started["id"])
    pledge = db.session.get(Pledge, pledge_id)
    fake_paypal.requests.clear()
    provider_named("paypal").cancel_pledge(pledge)
    assert fake_paypal.last("POST", f"/v1/billing/subscriptions/{subscription}/cancel")
    assert db.session.get(Pledge, pledge_id).status == "active"  # until PayPal says so
    paypal.deliver(fake_paypal.subscription_cancelled(subscription))
    assert db.session.get(Pledge, pledge_id).status == "cancelled"
    assert installments(pledge_id) == [("completed", 500)] * 3


def test_replayed_and_reordered_webhooks_reach_the_same_ledger(paypal, fake_paypal):
    started, subscription = subscribe(paypal, fake_paypal)
    events = [fake_paypal.subscription_activated(subscription)]
    events += [fake_paypal.sale_completed(subscription) for _ in range(3)]
    events.append(fake_paypal.sale_refunded(subscription, amount="2.00"))
    events = events * 2
    random.Random(3).shuffle(events)
    paypal.deliver_all(events)
    rows = installments(paypal.donation(started["id"]).pledge_id)
    assert sorted(rows) == [("completed", 500), ("completed", 500), ("partially_refunded", 500)]
    assert events_stored() == 1 + 5  # the return's event, and each webhook once


def test_refunds_of_a_capture_follow_paypals_total(paypal, fake_paypal):
    started = paypal.start(amount="10")
    paypal.approve_and_return(started)
    assert request_refund(paypal.donation(started["id"]), Money(300, "EUR")).ok
    capture = paypal.capture_id(started)
    first = fake_paypal.capture_refunded(capture, refund_id=list(fake_paypal.refunds)[0])
    rest = fake_paypal.capture_refunded(capture)
    paypal.deliver(rest)
    paypal.deliver(first)  # late
    donation = paypal.donation(started["id"])
    assert (donation.status, donation.refunded_minor) == ("refunded", 1000)


@pytest.mark.parametrize(("outcome", "status"), [("RESOLVED_SELLER_FAVOUR", "completed"),
                                                  ("RESOLVED_BUYER_FAVOUR", "refunded")])
def test_a_dispute_is_won_or_lost(paypal, fake_paypal, outcome, status):
    started = paypal.start()
    paypal.approve_and_return(started)
    opened = fake_paypal.dispute_created(paypal.capture_id(started))
    paypal.deliver(opened)
    assert paypal.donation(started["id"]).status == "disputed"
    paypal.deliver(fake_paypal.dispute_resolved(opened["resource"]["dispute_id"], outcome))
    assert paypal.donation(started["id"]).status == status


def test_a_reversed_capture_counts_as_money_taken_back(paypal, fake_paypal):
    started = paypal.start()
    paypal.approve_and_return(started)
    paypal.deliver(fake_paypal.capture_reversed(paypal.capture_id(started)))
    donation = paypal.donation(started["id"])
    assert (donation.status, donation.refunded_minor) == ("refunded", 1000)


def test_a_webhook_that_fails_verification_is_refused_and_nothing_is_written(paypal,
                                                                             fake_paypal):
    started = paypal.start()
    paypal.approve_and_return(started, capture_status="PENDING")
    capture = fake_paypal.capture_ids(paypal.donation(started["id"]).checkout_ref)[0]
    event = fake_paypal.capture_completed(capture)
    body, headers = fake_paypal.webhook_request(event)
    before = events_stored()
    tampered = body.replace(b"COMPLETED", b"COMPLETEX", 1)
    assert paypal.client.post("/webhooks/paypal", data=tampered,
                              headers=headers).status_code == 400
    forged = {**headers, "PAYPAL-TRANSMISSION-SIG": "forged"}
    assert paypal.client.post("/webhooks/paypal", data=body, headers=forged).status_code == 400
    missing = {k: v for k, v in headers.items() if k != "PAYPAL-TRANSMISSION-SIG"}
    assert paypal.client.post("/webhooks/paypal", data=body, headers=missing).status_code == 400
    assert paypal.client.post("/webhooks/paypal", data=b"{nope",
                              headers=headers).status_code == 400
    assert events_stored() == before
    assert paypal.donation(started["id"]).status == "pending"


def test_an_unknown_event_type_is_stored_and_acknowledged(paypal, fake_paypal):
    started = paypal.start()
    paypal.approve_and_return(started)
    event = {**fake_paypal.capture_completed(paypal.capture_id(started)),
             "id": "WH-UNKNOWN-1", "event_type": "MERCHANT.PARTNER-CONSENT.REVOKED"}
    response = paypal.deliver(event)
    assert (response.status_code, response.get_json()["error"]) == (200, None)


def test_reconcile_repairs_lost_webhooks_and_changes_nothing_known(paypal, fake_paypal, runner):
    lost = paypal.start()
    paypal.approve_and_return(lost, capture_status="PENDING")
    fake_paypal.capture_completed(fake_paypal.capture_ids(
        paypal.donation(lost["id"]).checkout_ref)[0])  # completes at PayPal; webhook lost
    known = paypal.start()
    paypal.approve_and_return(known)
    started, subscription = subscribe(paypal, fake_paypal)
    paypal.deliver(fake_paypal.sale_completed(subscription))
    fake_paypal.sale_completed(subscription)  # lost
    since = (date.today().replace(day=1)).isoformat()
    result = runner.invoke(args=["reconcile", "--since", since, "--provider", "paypal"])
    assert result.exit_code == 0, result.output
    assert paypal.donation(lost["id"]).status == "completed"
    assert installments(paypal.donation(started["id"]).pledge_id) == [("completed", 500)] * 2
    again = runner.invoke(args=["reconcile", "--since", since, "--provider", "paypal"])
    assert "0 not seen before" in again.output


def test_twenty_concurrent_duplicate_webhooks_complete_one_donation(live_server, paypal,
                                                                   fake_paypal):
    started = paypal.start()
    paypal.approve_and_return(started, capture_status="PENDING")
    capture = fake_paypal.capture_ids(paypal.donation(started["id"]).checkout_ref)[0]
    body, headers = fake_paypal.webhook_request(fake_paypal.capture_completed(capture))

    assert deliver_concurrently(f"{live_server}/webhooks/paypal", body, headers) == [200] * 20
    assert events_stored() == 2  # the return's capture, and this event once
    assert paypal.donation(started["id"]).status == "completed"
    payloads = [json.loads(p) for p in db.session.scalars(select(ProviderEvent.payload))]
    assert sum(p.get("event_type") == "PAYMENT.CAPTURE.COMPLETED" for p in payloads) == 1


def test_what_we_send_paypal_fits_its_published_specs(paypal, fake_paypal):
    if not SPEC_DIR.is_dir():
        pytest.skip(f"PayPal's OpenAPI specs are not in {SPEC_DIR_SHOWN}; the fake's own "
                    "checks of the fields we use ran in the other tests")
    started = paypal.start(amount="10")
    paypal.approve_and_return(started)
    assert request_refund(paypal.donation(started["id"]), Money(250, "EUR")).ok
    monthly, subscription = subscribe(paypal, fake_paypal, amount="7")
    paypal.deliver(fake_paypal.sale_completed(subscription))
    provider_named("paypal").cancel_pledge(paypal.donation(monthly["id"]).pledge)
    checked, problems = spec_problems(fake_paypal.requests)
    assert problems == [], "\n".join(problems)
    assert checked >= {"/v2/checkout/orders",  # a capture has no body to check
                       "/v2/payments/captures/{capture_id}/refund", "/v1/catalogs/products",
                       "/v1/billing/plans", "/v1/billing/subscriptions",
                       "/v1/billing/subscriptions/{id}/cancel",
                       "/v1/notifications/verify-webhook-signature"}
