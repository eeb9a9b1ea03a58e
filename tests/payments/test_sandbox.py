"""The sandbox provider end to end: widget -> POST /donations -> checkout page -> ledger."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from donate.extensions import db
from donate.ledger.models import Donation, Pledge, ProviderEvent
from tests.conftest import POSTGRES


def donation_row(donation_id: str) -> Donation:
    db.session.rollback()  # a fresh snapshot: other connections wrote
    return db.session.scalar(select(Donation).where(Donation.public_id == donation_id))


def event_count() -> int:
    return db.session.scalar(select(func.count(ProviderEvent.id)))


@pytest.mark.parametrize(("outcome", "status"), [
    ("pay", "completed"), ("decline", "failed"), ("cancel", "cancelled")])
def test_a_reader_pays_declines_or_cancels_in_the_sandbox(donations, outcome, status):
    started = donations.start(amount="10", currency="EUR")
    response = donations.decide(started["id"], outcome)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/donations/{started['id']}/thanks")
    assert donations.status(started["id"])["status"] == status


def test_the_sandbox_page_shows_the_amount_and_the_three_outcomes(client, donations):
    started = donations.start(amount="10", currency="EUR")
    page = client.get(f"/sandbox/checkout/{started['id']}").get_data(as_text=True)
    assert "€10.00" in page
    assert all(f'value="{outcome}"' in page for outcome in ("pay", "decline", "cancel"))


def test_an_unknown_outcome_is_refused_and_changes_nothing(client, donations):
    started = donations.start()
    assert donations.decide(started["id"], "steal").status_code == 400
    assert donations.status(started["id"])["status"] == "pending"
    assert event_count() == 0


def test_paying_twice_on_the_sandbox_page_records_one_event(donations):
    started = donations.start()
    donations.decide(started["id"], "pay")
    donations.decide(started["id"], "pay")
    donations.decide(started["id"], "decline")  # too late: the donation is paid
    assert donations.status(started["id"])["status"] == "completed"
    assert event_count() == 2


def test_a_monthly_sandbox_pledge_activates_and_renews(donations, runner):
    started = donations.start(amount="5", frequency="monthly")
    donations.decide(started["id"], "pay")
    pledge = donation_row(started["id"]).pledge
    assert pledge.status == "active"
    assert runner.invoke(args=["sandbox", "renew"]).exit_code == 0
    assert runner.invoke(args=["sandbox", "renew"]).exit_code == 0
    rows = db.session.scalars(select(Donation).where(Donation.pledge_id == pledge.id)).all()
    assert [(row.status, row.charged_minor) for row in rows] == [("completed", 500)] * 3


def test_a_declined_first_payment_means_the_pledge_never_starts(donations):
    started = donations.start(frequency="monthly")
    donations.decide(started["id"], "decline")
    assert donation_row(started["id"]).pledge.status == "cancelled"


def test_a_signed_webhook_delivery_is_applied_once(donations, sandbox_webhooks):
    started = donations.start()
    body = sandbox_webhooks.body_for(donation_row(started["id"]), "pay")
    assert sandbox_webhooks.deliver(body).status_code == 200
    assert sandbox_webhooks.deliver(body).status_code == 200
    assert donations.status(started["id"])["status"] == "completed"
    assert event_count() == 1


def test_a_forged_signature_is_refused_and_nothing_is_written(donations, sandbox_webhooks):
    started = donations.start()
    body = sandbox_webhooks.body_for(donation_row(started["id"]), "pay")
    forged = sandbox_webhooks.signed(body.replace(b'"amount": 1000', b'"amount": 1'))
    response = sandbox_webhooks.deliver(body, headers=forged)
    assert response.status_code == 400
    assert "does not match" in response.get_json()["error"]
    assert event_count() == 0
    assert donations.status(started["id"])["status"] == "pending"


@pytest.mark.parametrize(("headers", "message"), [
    ({}, "missing"),
    ({"Sandbox-Signature": "garbage"}, "missing"),
    ({"Sandbox-Signature": "t=abc,v1=00"}, "unreadable"),
    ({"Sandbox-Signature": "t=1,v1=00"}, "tolerance"),
])
def test_unsigned_or_badly_signed_deliveries_are_refused(sandbox_webhooks, headers, message):
    response = sandbox_webhooks.deliver(b'{"id": "x", "type": "checkout.paid"}', headers=headers)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert event_count() == 0


def test_a_stale_but_correctly_signed_delivery_is_refused(donations, sandbox_webhooks):
    started = donations.start()
    body = sandbox_webhooks.body_for(donation_row(started["id"]), "pay")
    stale = sandbox_webhooks.signed(body, timestamp=int(time.time()) - 3600)
    assert sandbox_webhooks.deliver(body, headers=stale).status_code == 400
    assert event_count() == 0


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"type": "checkout.paid"}'])
def test_signed_garbage_is_refused(sandbox_webhooks, body):
    assert sandbox_webhooks.deliver(body).status_code == 400
    assert event_count() == 0


def test_a_webhook_for_an_unknown_donation_is_stored_and_acknowledged(sandbox_webhooks):
    body = json.dumps({"id": "evt_x", "type": "checkout.paid", "created": int(time.time()),
                       "data": {"donation": "nope", "payment": "p", "amount": 1,
                                "currency": "EUR"}}).encode()
    response = sandbox_webhooks.deliver(body)
    assert response.status_code == 200
    assert "UnknownReference" in response.get_json()["error"]
    assert event_count() == 1


def test_an_unknown_event_type_is_stored_and_acknowledged(sandbox_webhooks):
    body = json.dumps({"id": "evt_y", "type": "payout.created", "created": int(time.time()),
                       "data": {"amount": 1, "currency": "EUR"}}).encode()
    response = sandbox_webhooks.deliver(body)
    assert (response.status_code, response.get_json()["error"]) == (200, None)
    assert event_count() == 1


def test_the_thank_you_page_waits_then_thanks(client, donations):
    started = donations.start(amount="10", currency="EUR")
    waiting = client.get(f"/donations/{started['id']}/thanks").get_data(as_text=True)
    assert "Validating payment information..." in waiting
    donations.decide(started["id"], "pay")
    thanked = client.get(f"/donations/{started['id']}/thanks").get_data(as_text=True)
    assert "Thank you" in thanked and "€10.00" in thanked


def signed_payment_delivery(live_server, sandbox_webhooks, frequency: str):
    """Start a donation over HTTP; return its id and the sandbox's signed 'paid' delivery."""
    started = requests.post(f"{live_server}/donations", headers={"Accept": "application/json"},
                            data={"amount": "10", "currency": "EUR", "frequency": frequency,
                                  "provider": "sandbox"}).json()
    body = sandbox_webhooks.body_for(donation_row(started["id"]), "pay")
    return started["id"], body, sandbox_webhooks.signed(body)


def test_twenty_concurrent_deliveries_of_one_event_complete_one_donation(live_server, app,
                                                                         sandbox_webhooks):
    donation_id, body, headers = signed_payment_delivery(live_server, sandbox_webhooks,
                                                         "monthly")

    def deliver(_):
        for _attempt in range(20):  # a provider retries until it gets a 2xx
            response = requests.post(f"{live_server}/webhooks/sandbox", data=body,
                                     headers=headers, timeout=30)
            if response.status_code == 200:
                return 200
            assert response.status_code == 503  # SQLite's writer lock: "retry"
            time.sleep(0.05)
        return response.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(deliver, range(20)))
    assert answers == [200] * 20
    db.session.rollback()  # a fresh snapshot: other connections wrote
    assert event_count() == 1
    donation = donation_row(donation_id)
    assert donation.status == "completed"
    assert db.session.scalar(select(func.count(Donation.id))) == 1
    assert db.session.get(Pledge, donation.pledge_id).status == "active"


@pytest.mark.skipif(not POSTGRES, reason="row locks and concurrent writers need PostgreSQL "
                                         "(set TEST_DATABASE_URL)")
def test_on_postgres_concurrent_duplicates_all_succeed_first_time(live_server, app,
                                                                  sandbox_webhooks):
    donation_id, body, headers = signed_payment_delivery(live_server, sandbox_webhooks, "once")
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: requests.post(
            f"{live_server}/webhooks/sandbox", data=body, headers=headers, timeout=30
        ).status_code, range(20)))
    assert answers == [200] * 20
    assert event_count() == 1
    assert donation_row(donation_id).status == "completed"
