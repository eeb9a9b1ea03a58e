"""Stripe through the real SDK against FakeStripeServer: checkout, webhooks, refunds, reconcile."""

import json
import random
import time
from datetime import date

import pytest
from sqlalchemy import func, select

from donate.extensions import db
from donate.ledger.models import Donation, Pledge, ProviderEvent
from donate.money import Money
from donate.payments.refunds import request_refund
from tests.conftest import widget_form
from tests.fakes.stripe_server import FakeStripeServer
from tests.payments.flow import JSON, ProviderFlow, deliver_concurrently

SECRET = "whsec_test_secret"


@pytest.fixture
def fake_stripe():
    with FakeStripeServer() as fake:
        yield fake
    assert not fake.crashes


@pytest.fixture
def app_overrides(fake_stripe):
    return {"STRIPE_SECRET_KEY": "sk_test_fake", "STRIPE_WEBHOOK_SECRET": SECRET,
            "STRIPE_API_BASE": fake_stripe.url, "PROVIDER_TIMEOUT_SECONDS": 1}


class StripeFlow(ProviderFlow):
    """Test helper: a reader donating by card, and Stripe telling us about it."""

    provider = "stripe"

    def session_of(self, started: dict) -> str:
        return self.donation(started["id"]).checkout_ref

    def deliver(self, event: dict, **kwargs):
        body, headers = self.fake.webhook_request(event, SECRET, **kwargs)
        return self.client.post("/webhooks/stripe", data=body, headers=headers)

    def deliver_all(self, events: list[dict]) -> None:
        for event in events:
            assert self.deliver(event).status_code == 200

    def pay(self, started: dict, **kwargs) -> dict:
        event = self.fake.complete_session(self.session_of(started), **kwargs)
        assert self.deliver(event).status_code == 200
        return event

    def charge_of(self, started: dict) -> str:
        session = self.fake.get_object(self.session_of(started))
        return self.fake.get_object(session["payment_intent"])["latest_charge"]


@pytest.fixture
def stripe_flow(client, fake_stripe) -> StripeFlow:
    return StripeFlow(client, fake_stripe)


def events_stored() -> int:
    db.session.rollback()  # a fresh snapshot: the live server's threads wrote
    return db.session.scalar(select(func.count(ProviderEvent.id)))


def test_a_one_time_gift_opens_a_donate_checkout_session(stripe_flow, fake_stripe):
    started = stripe_flow.start(amount="10.50", currency="EUR", email="ada@example.org")
    request = fake_stripe.last("POST", "/v1/checkout/sessions")
    params = request.params
    assert (params["mode"], params["submit_type"]) == ("payment", "donate")
    [item] = params["line_items"]
    assert item["price_data"]["currency"] == "eur"
    assert item["price_data"]["unit_amount"] == "1050"
    assert params["client_reference_id"] == started["id"]
    assert params["metadata"] == {"donation": started["id"]}
    assert params["customer_email"] == "ada@example.org"
    assert params["success_url"].endswith(f"/donations/{started['id']}/thanks")
    assert request.idempotency_key == f"checkout-{started['id']}"
    assert started["redirect_url"] == fake_stripe.get_object(stripe_flow.session_of(started))["url"]


def test_covering_the_fees_charges_the_grossed_up_amount(stripe_flow, fake_stripe):
    stripe_flow.start(amount="10", currency="USD", cover_fees="1")
    [item] = fake_stripe.last("POST", "/v1/checkout/sessions").params["line_items"]
    assert item["price_data"]["unit_amount"] == "1061"


def test_a_monthly_pledge_opens_a_subscription_session(stripe_flow, fake_stripe):
    started = stripe_flow.start(amount="5", frequency="monthly")
    params = fake_stripe.last("POST", "/v1/checkout/sessions").params
    assert params["mode"] == "subscription" and "submit_type" not in params
    [item] = params["line_items"]
    assert item["price_data"]["recurring"] == {"interval": "month"}
    pledge = stripe_flow.donation(started["id"]).pledge
    assert params["subscription_data"]["metadata"] == {"donation": started["id"],
                                                       "pledge": pledge.public_id}


def test_a_paid_session_completes_the_donation_once(stripe_flow):
    started = stripe_flow.start()
    event = stripe_flow.pay(started, email="Reader@Example.org", name="Reader One")
    assert stripe_flow.deliver(event).status_code == 200  # Stripe retries; nothing changes
    donation = stripe_flow.donation(started["id"])
    assert donation.status == "completed"
    assert donation.donor.email == "reader@example.org"
    assert events_stored() == 1


def test_a_delayed_payment_waits_for_the_async_outcome(stripe_flow, fake_stripe):
    paid_later, fails_later = stripe_flow.start(), stripe_flow.start()
    for started in (paid_later, fails_later):
        stripe_flow.pay(started, paid=False)
        assert stripe_flow.donation(started["id"]).status == "pending"
    stripe_flow.deliver(fake_stripe.async_payment(stripe_flow.session_of(paid_later), True))
    stripe_flow.deliver(fake_stripe.async_payment(stripe_flow.session_of(fails_later), False))
    assert stripe_flow.donation(paid_later["id"]).status == "completed"
    assert stripe_flow.donation(fails_later["id"]).status == "failed"


def test_an_expired_session_cancels_the_donation(stripe_flow, fake_stripe):
    started = stripe_flow.start()
    stripe_flow.deliver(fake_stripe.expire_session(stripe_flow.session_of(started)))
    assert stripe_flow.donation(started["id"]).status == "cancelled"


def subscribe(stripe_flow, fake_stripe, amount="5") -> tuple[dict, str]:
    """A reader subscribes; every event Stripe sends for it is delivered."""
    started = stripe_flow.start(amount=amount, frequency="monthly")
    before = len(fake_stripe.events)
    fake_stripe.complete_session(stripe_flow.session_of(started))
    stripe_flow.deliver_all(fake_stripe.events[before:])
    session = fake_stripe.get_object(stripe_flow.session_of(started))
    return started, session["subscription"]


def installments(pledge_id: int) -> list[tuple[str, int]]:
    db.session.rollback()  # a fresh snapshot: other connections wrote
    return [(row.status, row.charged_minor) for row in db.session.scalars(
        select(Donation).where(Donation.pledge_id == pledge_id).order_by(Donation.id))]


def test_a_monthly_life_subscribe_three_charges_a_failure_recovery_and_cancellation(
        stripe_flow, fake_stripe):
    started, subscription = subscribe(stripe_flow, fake_stripe)
    pledge = stripe_flow.donation(started["id"]).pledge
    assert pledge.status == "active" and pledge.provider_ref == subscription
    assert installments(pledge.id) == [("completed", 500)]  # the first invoice, counted once
    stripe_flow.deliver(fake_stripe.renew(subscription))
    stripe_flow.deliver_all(fake_stripe.fail_renewal(subscription))
    assert db.session.get(Pledge, pledge.id).status == "past_due"
    stripe_flow.deliver(fake_stripe.renew(subscription))
    assert db.session.get(Pledge, pledge.id).status == "active"
    stripe_flow.deliver(fake_stripe.cancel_subscription(subscription))
    assert db.session.get(Pledge, pledge.id).status == "cancelled"
    assert installments(pledge.id) == [("completed", 500)] * 3


def test_replayed_and_reordered_events_reach_the_same_ledger(stripe_flow, fake_stripe):
    started = stripe_flow.start(amount="5", frequency="monthly")
    fake_stripe.complete_session(stripe_flow.session_of(started))
    subscription = fake_stripe.get_object(stripe_flow.session_of(started))["subscription"]
    fake_stripe.renew(subscription)
    fake_stripe.renew(subscription)
    events = list(fake_stripe.events) * 2
    random.Random(7).shuffle(events)
    stripe_flow.deliver_all(events)
    pledge = stripe_flow.donation(started["id"]).pledge
    assert pledge.status == "active"
    assert installments(pledge.id) == [("completed", 500)] * 3
    assert events_stored() == len(fake_stripe.events)


def test_partial_then_full_refund_follows_stripes_cumulative_amount(stripe_flow, fake_stripe):
    started = stripe_flow.start(amount="10")
    stripe_flow.pay(started)
    charge = stripe_flow.charge_of(started)
    partial = fake_stripe.refund(charge, amount=300)
    full = fake_stripe.refund(charge)
    stripe_flow.deliver(full)
    stripe_flow.deliver(partial)  # arrives late: the cumulative amount cannot go back
    donation = stripe_flow.donation(started["id"])
    assert (donation.status, donation.refunded_minor) == ("refunded", 1000)


def test_a_refund_of_one_installment_finds_it_through_its_invoice(stripe_flow, fake_stripe):
    started, subscription = subscribe(stripe_flow, fake_stripe)
    stripe_flow.deliver(fake_stripe.renew(subscription))
    second = db.session.scalars(select(Donation).where(
        Donation.pledge_id == stripe_flow.donation(started["id"]).pledge_id
    ).order_by(Donation.id)).all()[1]
    assert request_refund(second, Money(200, "EUR")).ok
    stripe_flow.deliver_all(fake_stripe.events_of_type("charge.refunded"))
    refunded = stripe_flow.donation(second.public_id)
    assert (refunded.status, refunded.refunded_minor) == ("partially_refunded", 200)
    assert stripe_flow.donation(started["id"]).status == "completed"


@pytest.mark.parametrize(("won", "status", "refunded"), [(True, "completed", 0),
                                                          (False, "refunded", 1000)])
def test_a_dispute_won_or_lost(stripe_flow, fake_stripe, won, status, refunded):
    started = stripe_flow.start(amount="10")
    stripe_flow.pay(started)
    opened = fake_stripe.open_dispute(stripe_flow.charge_of(started))
    stripe_flow.deliver(opened)
    assert stripe_flow.donation(started["id"]).status == "disputed"
    stripe_flow.deliver(fake_stripe.close_dispute(opened["data"]["object"]["id"], won=won))
    donation = stripe_flow.donation(started["id"])
    assert (donation.status, donation.refunded_minor) == (status, refunded)


def test_staff_refund_goes_through_stripe_and_the_ledger_waits_for_the_event(stripe_flow,
                                                                            fake_stripe):
    started = stripe_flow.start(amount="10")
    stripe_flow.pay(started)
    donation = stripe_flow.donation(started["id"])
    result = request_refund(donation, Money(400, "EUR"))
    assert result.ok and "requested" in result.message
    assert fake_stripe.last("POST", "/v1/refunds").params["amount"] == "400"
    assert stripe_flow.donation(started["id"]).status == "completed"
    stripe_flow.deliver_all(fake_stripe.events_of_type("charge.refunded"))
    assert stripe_flow.donation(started["id"]).refunded_minor == 400


@pytest.mark.parametrize(("amount", "message"), [(Money(0, "EUR"), "between"),
                                                 (Money(1001, "EUR"), "between"),
                                                 (Money(100, "USD"), "between")])
def test_a_refund_outside_what_is_left_is_refused_before_stripe(stripe_flow, fake_stripe,
                                                                amount, message):
    started = stripe_flow.start(amount="10")
    stripe_flow.pay(started)
    result = request_refund(stripe_flow.donation(started["id"]), amount)
    assert not result.ok and message in result.message
    assert fake_stripe.last("POST", "/v1/refunds") is None


def test_a_refund_stripe_refuses_is_reported(stripe_flow, fake_stripe):
    started = stripe_flow.start(amount="10")
    stripe_flow.pay(started)
    fake_stripe.fail_next("/v1/refunds", status=400, message="Charge already refunded")
    result = request_refund(stripe_flow.donation(started["id"]))
    assert not result.ok and "Charge already refunded" in result.message


@pytest.mark.parametrize("status", [500, 402, 429])
def test_a_stripe_error_at_checkout_tells_the_reader_and_never_completes(
        stripe_flow, fake_stripe, client, status, caplog):
    fake_stripe.fail_next("/v1/checkout/sessions", status=status)
    response = client.post("/donations", headers=JSON, data={
        "amount": "10", "currency": "EUR", "frequency": "once", "provider": "stripe"})
    assert response.status_code == 502
    assert "Card payments are not available right now" in response.get_json()["error"]
    assert stripe_flow.donation(response.get_json()["id"]).status == "failed"
    assert len([r for r in fake_stripe.requests if r.path == "/v1/checkout/sessions"]) == 1
    [failed] = [record for record in caplog.records if record.msg == "stripe checkout failed"]
    assert (failed.http_status, failed.network_error) == (status, None)  # Stripe answered


def test_a_stripe_timeout_at_checkout_gives_up_after_one_try(stripe_flow, fake_stripe, client,
                                                             caplog):
    fake_stripe.fail_next("/v1/checkout/sessions", status=None, delay=3)
    started_at = time.monotonic()
    response = client.post("/donations", data=widget_form({
        "amount": "10", "currency": "EUR", "frequency": "once", "provider": "stripe"}))
    assert response.status_code == 502
    assert b"not available right now" in response.data
    assert time.monotonic() - started_at < 2.5  # one timeout (1 s), no retries
    [failed] = [record for record in caplog.records if record.msg == "stripe checkout failed"]
    assert failed.network_error.startswith("ReadTimeout: ")  # the operator sees why


def test_a_forged_signature_is_refused_and_nothing_is_written(stripe_flow, fake_stripe, client):
    started = stripe_flow.start()
    event = fake_stripe.complete_session(stripe_flow.session_of(started))
    body, headers = fake_stripe.webhook_request(event, "whsec_someone_else")
    assert client.post("/webhooks/stripe", data=body, headers=headers).status_code == 400
    body, headers = fake_stripe.webhook_request(event, SECRET)
    tampered = body.replace(b'"paid"', b'"unpaid"')
    assert client.post("/webhooks/stripe", data=tampered, headers=headers).status_code == 400
    assert events_stored() == 0
    assert stripe_flow.donation(started["id"]).status == "pending"


def test_a_stale_timestamp_is_refused(stripe_flow, fake_stripe):
    started = stripe_flow.start()
    event = fake_stripe.complete_session(stripe_flow.session_of(started))
    response = stripe_flow.deliver(event, timestamp=int(time.time()) - 600)
    assert response.status_code == 400
    assert events_stored() == 0


def test_signed_malformed_json_is_refused(client):
    body = b'{"id": "evt_1", "type": '
    headers = {"Stripe-Signature": FakeStripeServer.signature_header(body, SECRET)}
    assert client.post("/webhooks/stripe", data=body, headers=headers).status_code == 400
    assert events_stored() == 0


def test_a_live_mode_event_sent_to_a_test_mode_account_is_refused(stripe_flow, fake_stripe):
    started = stripe_flow.start()
    event = fake_stripe.complete_session(stripe_flow.session_of(started))
    response = stripe_flow.deliver({**event, "livemode": True})
    assert response.status_code == 400
    assert "other mode" in response.get_json()["error"]
    assert events_stored() == 0


def test_an_unknown_event_type_is_stored_and_acknowledged(stripe_flow):
    event = {"id": "evt_unknown", "object": "event", "type": "payout.paid", "livemode": False,
             "created": int(time.time()), "data": {"object": {"id": "po_1"}}}
    response = stripe_flow.deliver(event)
    assert (response.status_code, response.get_json()["error"]) == (200, None)
    assert events_stored() == 1


def test_reconcile_repairs_a_lost_webhook_and_changes_nothing_known(stripe_flow, fake_stripe,
                                                                    runner):
    lost, known = stripe_flow.start(), stripe_flow.start()
    fake_stripe.complete_session(stripe_flow.session_of(lost))  # its webhook never arrives
    stripe_flow.pay(known)
    started, subscription = subscribe(stripe_flow, fake_stripe)
    fake_stripe.renew(subscription)  # this renewal's webhook is lost too
    since = date.today().isoformat()
    result = runner.invoke(args=["reconcile", "--since", since])
    assert result.exit_code == 0, result.output
    assert stripe_flow.donation(lost["id"]).status == "completed"
    assert stripe_flow.donation(known["id"]).status == "completed"
    assert installments(stripe_flow.donation(started["id"]).pledge_id) == [("completed", 500)] * 2
    before = events_stored()
    again = runner.invoke(args=["reconcile", "--since", since])
    assert "0 not seen before" in again.output
    assert events_stored() == before


def test_the_refund_command_asks_stripe(stripe_flow, fake_stripe, runner):
    started = stripe_flow.start(amount="10")
    stripe_flow.pay(started)
    result = runner.invoke(args=["donations", "refund", started["id"], "--amount", "2.50"])
    assert result.exit_code == 0, result.output
    assert fake_stripe.last("POST", "/v1/refunds").params["amount"] == "250"
    bad = runner.invoke(args=["donations", "refund", started["id"], "--amount", "2.505"])
    assert bad.exit_code != 0 and "at most 2 decimals" in bad.output


def test_twenty_concurrent_duplicate_stripe_events_complete_one_donation(
        live_server, stripe_flow, fake_stripe):
    started = stripe_flow.start()
    event = fake_stripe.complete_session(stripe_flow.session_of(started))
    body, headers = fake_stripe.webhook_request(event, SECRET)

    assert deliver_concurrently(f"{live_server}/webhooks/stripe", body, headers) == [200] * 20
    assert events_stored() == 1
    assert stripe_flow.donation(started["id"]).status == "completed"
    assert json.loads(db.session.scalar(select(ProviderEvent.payload)))["id"] == event["id"]
