"""Donor self-service: sign in by link, manage pledges at every provider, export, erase."""

import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, inspect, select, text, update

from donate.donors.links import send_manage_link
from donate.donors.models import DonorLink
from donate.extensions import db
from donate.ledger.models import Donation, Donor, Pledge, utcnow
from donate.outbox.models import OutboxMessage
from tests.fakes.paypal_server import FakePayPalServer
from tests.fakes.stripe_server import FakeStripeServer

JSON = {"Accept": "application/json"}
STRIPE_SECRET = "whsec_self_service"


@pytest.fixture
def fakes():
    with FakeStripeServer() as stripe_fake, FakePayPalServer() as paypal_fake:
        yield stripe_fake, paypal_fake


@pytest.fixture
def app_overrides(fakes):
    stripe_fake, paypal_fake = fakes
    return {"STRIPE_SECRET_KEY": "sk_test_fake", "STRIPE_WEBHOOK_SECRET": STRIPE_SECRET,
            "STRIPE_API_BASE": stripe_fake.url, "PAYPAL_CLIENT_ID": paypal_fake.client_id,
            "PAYPAL_CLIENT_SECRET": paypal_fake.client_secret,
            "PAYPAL_WEBHOOK_ID": paypal_fake.webhook_id, "PAYPAL_API_BASE": paypal_fake.url,
            "PUBLIC_URL": "http://localhost"}


EMAIL, NAME = "ada@example.org", "Ada Lovelace"


def give(client, provider="sandbox", frequency="monthly", amount="5", **fields) -> Donation:
    started = client.post("/donations", headers=JSON, data={
        "amount": amount, "currency": "EUR", "frequency": frequency, "provider": provider,
        "email": EMAIL, "name": NAME, **fields}).get_json()
    return db.session.scalar(select(Donation).where(Donation.public_id == started["id"]))


def pay_in_sandbox(client, donation: Donation) -> None:
    client.post(f"/sandbox/checkout/{donation.public_id}", data={"outcome": "pay"})


def link_token() -> str:
    send_manage_link(EMAIL)
    message = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "manage_link").order_by(OutboxMessage.id.desc())).first()
    return re.search(r"/manage/link/(\S+)", message.body_text)[1]


def sign_in(client) -> None:
    assert client.post(f"/manage/link/{link_token()}").status_code == 303


def csrf(client) -> str:
    page = client.get("/manage/donations").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def act(client, pledge: Pledge, action: str, **form):
    return client.post(f"/manage/pledges/{pledge.public_id}/{action}",
                       data={"csrf_token": csrf(client), **form})


def fresh_pledge(pledge_id: int) -> Pledge:
    db.session.rollback()
    return db.session.get(Pledge, pledge_id)


def test_an_expired_link_is_refused(client):
    pay_in_sandbox(client, give(client))
    token = link_token()
    db.session.execute(update(DonorLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.post(f"/manage/link/{token}").status_code == 400
    assert client.get("/manage/donations").status_code == 302


def test_pages_and_actions_need_a_signed_in_donor(client):
    pay_in_sandbox(client, give(client))
    for path in ("/manage/donations", "/manage/export.json", "/manage/summary/2026"):
        assert client.get(path).headers["Location"].endswith("/manage")


def test_a_form_without_its_csrf_token_is_refused(client):
    donation = give(client)
    pay_in_sandbox(client, donation)
    sign_in(client)
    response = client.post(f"/manage/pledges/{donation.pledge.public_id}/cancel")
    assert response.status_code == 400
    assert fresh_pledge(donation.pledge_id).status == "active"


def test_a_sandbox_pledge_is_stopped_and_changed_by_its_donor(client):
    donation = give(client)
    pay_in_sandbox(client, donation)
    sign_in(client)
    assert act(client, donation.pledge, "amount", amount="12.50").status_code == 303
    assert fresh_pledge(donation.pledge_id).charged_minor == 1250
    refused = act(client, donation.pledge, "amount", amount="0.10")
    assert b"smallest donation" in client.get(refused.headers["Location"]).data
    act(client, donation.pledge, "cancel")
    assert fresh_pledge(donation.pledge_id).status == "cancelled"
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "pledge_cancelled")) == 1


def stripe_pledge(client, fakes) -> Pledge:
    stripe_fake, _ = fakes
    donation = give(client, "stripe")
    for event in [stripe_fake.complete_session(donation.checkout_ref)] + stripe_fake.events:
        body, headers = stripe_fake.webhook_request(event, STRIPE_SECRET)
        client.post("/webhooks/stripe", data=body, headers=headers)
    return fresh_pledge(donation.pledge_id)


def deliver_stripe(client, fakes, event) -> None:
    body, headers = fakes[0].webhook_request(event, STRIPE_SECRET)
    assert client.post("/webhooks/stripe", data=body, headers=headers).status_code == 200


def test_a_stripe_pledge_changes_when_stripe_confirms(client, fakes):
    stripe_fake, _ = fakes
    pledge = stripe_pledge(client, fakes)
    assert pledge.status == "active"
    sign_in(client)
    act(client, pledge, "amount", amount="8")
    update_request = stripe_fake.last("POST", f"/v1/subscriptions/{pledge.provider_ref}")
    assert update_request.params["items"][0]["price_data"]["unit_amount"] == "800"
    assert update_request.params["proration_behavior"] == "none"
    deliver_stripe(client, fakes, stripe_fake.events_of_type("customer.subscription.updated")[-1])
    assert fresh_pledge(pledge.id).charged_minor == 800
    card = act(client, pledge, "card")
    assert card.headers["Location"].startswith(f"{stripe_fake.url}/")
    portal = stripe_fake.last("POST", "/v1/billing_portal/sessions").params
    assert portal["return_url"] == "http://localhost/manage/donations"
    act(client, pledge, "cancel")
    assert fresh_pledge(pledge.id).status == "active"  # until Stripe's event
    deliver_stripe(client, fakes, stripe_fake.events_of_type("customer.subscription.deleted")[-1])
    assert fresh_pledge(pledge.id).status == "cancelled"


def test_a_paypal_pledge_is_changed_with_the_donors_approval_and_cancelled(client, fakes):
    _, paypal_fake = fakes
    donation = give(client, "paypal")
    return_url = urlsplit(paypal_fake.approve(donation.checkout_ref))
    client.get(f"{return_url.path}?{return_url.query}")
    pledge = fresh_pledge(donation.pledge_id)
    assert (pledge.status, pledge.charged_minor) == ("active", 500)
    sign_in(client)
    answer = act(client, pledge, "amount", amount="9")
    assert answer.headers["Location"].startswith(f"{paypal_fake.url}/approve/")
    revise = paypal_fake.last("POST", f"/v1/billing/subscriptions/{pledge.provider_ref}/revise")
    assert revise.json["plan"]["billing_cycles"][0]["pricing_scheme"]["fixed_price"] == {
        "currency_code": "EUR", "value": "9.00"}
    assert act(client, pledge, "card").headers["Location"].startswith("https://www.paypal.com/")
    act(client, pledge, "cancel")
    assert paypal_fake.last("POST", f"/v1/billing/subscriptions/{pledge.provider_ref}/cancel")


def test_receipts_summaries_and_the_export_show_the_donors_gifts(client):
    donation = give(client, frequency="once", amount="10")
    pay_in_sandbox(client, donation)
    sign_in(client)
    db.session.rollback()
    donation = db.session.get(Donation, donation.id)
    receipt = client.get(f"/manage/receipts/{donation.public_id}").get_data(as_text=True)
    assert donation.receipt_number in receipt and "€10.00" in receipt
    year = donation.completed_at.year
    assert "€10.00" in client.get(f"/manage/summary/{year}").get_data(as_text=True)
    exported = json.loads(client.get("/manage/export.json").data)
    assert exported["donor"]["email"] == EMAIL
    assert [(d["charged"], d["currency"]) for d in exported["donations"]] == [(1000, "EUR")]


def test_another_donors_receipt_is_not_shown(client):
    pay_in_sandbox(client, give(client, frequency="once"))
    other = client.post("/donations", headers=JSON, data={
        "amount": "7", "currency": "EUR", "frequency": "once", "provider": "sandbox",
        "email": "bob@example.org"}).get_json()
    client.post(f"/sandbox/checkout/{other['id']}", data={"outcome": "pay"})
    sign_in(client)
    assert client.get(f"/manage/receipts/{other['id']}").status_code == 404


def every_text_in_the_database() -> str:
    """All rows of all tables, as text: where personal data could hide."""
    db.session.rollback()
    dump = []
    for table in inspect(db.engine).get_table_names():
        dump += [repr(row) for row in db.session.execute(text(f'SELECT * FROM "{table}"'))]
    return "\n".join(dump)


def test_erasure_leaves_no_personal_data_and_the_totals_unchanged(client, caplog):
    caplog.set_level("DEBUG")
    monthly = give(client, newsletter="1")
    pay_in_sandbox(client, monthly)
    one_time = give(client, frequency="once", amount="20")
    pay_in_sandbox(client, one_time)
    sign_in(client)
    refused = client.post("/manage/erase", data={"csrf_token": csrf(client), "confirm": "yes"})
    assert b"Stop the monthly donations first" in client.get(refused.headers["Location"]).data
    act(client, monthly.pledge, "cancel")
    totals_before = db.session.execute(select(Donation.currency, func.sum(
        Donation.charged_minor)).group_by(Donation.currency)).all()
    assert EMAIL in every_text_in_the_database()
    erased = client.post("/manage/erase", data={"csrf_token": csrf(client), "confirm": "yes"})
    assert b"Your data is erased" in erased.data
    dump = every_text_in_the_database()
    assert EMAIL not in dump and NAME not in dump and "Lovelace" not in dump
    assert db.session.execute(select(Donation.currency, func.sum(
        Donation.charged_minor)).group_by(Donation.currency)).all() == totals_before
    assert db.session.scalar(select(func.count(Donation.receipt_number))) == 2
    assert not any(EMAIL in record.getMessage() or EMAIL in repr(record.__dict__)
                   for record in caplog.records)
    assert client.get("/manage/donations").status_code == 302


def test_purge_removes_abandoned_checkouts_and_anonymises_expired_donors(client, runner):
    paid = give(client, frequency="once")
    pay_in_sandbox(client, paid)
    abandoned = give(client, frequency="once")
    recent = give(client, frequency="once")
    db.session.execute(update(Donation).where(Donation.id == abandoned.id).values(
        created_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    result = runner.invoke(args=["privacy", "purge"])
    assert "1 abandoned pending donation(s) deleted, 0 donor(s) anonymised" in result.output
    assert db.session.get(Donation, recent.id) is not None
    db.session.execute(update(Donation).values(created_at=utcnow() - timedelta(days=3700)))
    db.session.commit()
    result = runner.invoke(args=["privacy", "purge"])
    assert "1 donor(s) anonymised" in result.output
    assert EMAIL not in every_text_in_the_database()
    assert db.session.scalar(select(func.count(Donor.id)).where(Donor.erased_at.is_not(None))) == 1
