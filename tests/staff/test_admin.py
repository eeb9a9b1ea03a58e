"""Admin actions: refunds through the provider, retries of dead emails, staff management."""

import pytest
from sqlalchemy import select, update

from donate.extensions import db
from donate.outbox.enqueue import enqueue
from donate.outbox.models import OutboxMessage, OutboxStatus
from donate.staff.models import StaffAuditEntry, StaffUser
from tests.fakes.stripe_server import FakeStripeServer
from tests.payments.test_stripe import SECRET, StripeFlow
from tests.staff.conftest import Staff, audit_actions


@pytest.fixture
def fake_stripe():
    with FakeStripeServer() as fake:
        yield fake


@pytest.fixture
def app_overrides(request):
    if "fake_stripe" not in request.fixturenames:
        return {}
    fake = request.getfixturevalue("fake_stripe")
    return {"STRIPE_SECRET_KEY": "sk_test_fake", "STRIPE_WEBHOOK_SECRET": SECRET,
            "STRIPE_API_BASE": fake.url, "PROVIDER_TIMEOUT_SECONDS": 1}


def flashes(client, path: str) -> str:
    return client.get(path).get_data(as_text=True)


def test_a_partial_refund_is_asked_of_stripe_and_the_ledger_waits(client, staff, fake_stripe):
    flow = StripeFlow(client, fake_stripe)
    started = flow.start(amount="10")
    flow.pay(started)
    staff.signed_in("admin")
    page = f"/staff/donations/{started['id']}"
    answer = staff.post(f"{page}/refund", amount="4,00")
    assert (answer.status_code, answer.location) == (303, page)
    assert ("Refund of €4.00 requested from stripe. The donation and the reports change when "
            "stripe confirms the refund") in flashes(client, page)
    assert fake_stripe.last("POST", "/v1/refunds").params["amount"] == "400"
    assert flow.donation(started["id"]).refunded_minor == 0  # not until Stripe says so
    entry = db.session.scalar(select(StaffAuditEntry).where(
        StaffAuditEntry.action == "refund_requested"))
    assert (entry.target, entry.details["amount_minor"]) == (f"donation:{started['id']}", 400)
    flow.deliver_all(fake_stripe.events_of_type("charge.refunded"))
    assert flow.donation(started["id"]).refunded_minor == 400


@pytest.mark.parametrize(("amount", "message"), [
    ("abc", "Enter a number"), ("4.001", "at most 2 decimals"), ("-1", "Enter a number"),
    ("99", "Refund between"), ("0", "Refund between")])
def test_a_bad_refund_amount_refunds_nothing(client, staff, books, amount, message):
    donation = books.donation(1000)
    staff.signed_in("admin")
    page = f"/staff/donations/{donation.public_id}"
    staff.post(f"{page}/refund", amount=amount)
    shown = flashes(client, page)
    assert "Nothing was refunded" in shown and message in shown


def test_a_provider_that_cannot_refund_says_so(client, staff, books):
    donation = books.donation(1000, provider="sandbox")
    staff.signed_in("admin")
    staff.post(f"/staff/donations/{donation.public_id}/refund")
    page = flashes(client, f"/staff/donations/{donation.public_id}")
    assert "Nothing was refunded: sandbox cannot refund yet" in page
    assert audit_actions()[-1] == ("refund_refused", f"donation:{donation.public_id}")


def test_only_admins_see_the_refund_form(client, staff, books):
    donation = books.donation(1000)
    staff.signed_in("viewer")
    assert "Ask sandbox to refund" not in flashes(client, f"/staff/donations/{donation.public_id}")


def test_a_dead_email_is_retried_with_fresh_attempts(client, staff):
    message = db.session.get(OutboxMessage, enqueue(
        kind="receipt", dedupe_key="r1", to="ada@example.org", subject="s", text="t"))
    db.session.execute(update(OutboxMessage).values(status=OutboxStatus.DEAD, attempts=8,
                                                    last_error="SMTPServerDisconnected"))
    db.session.commit()
    staff.signed_in("admin")
    assert "SMTPServerDisconnected" in flashes(client, "/staff/outbox")
    assert staff.post(f"/staff/outbox/{message.id}/retry").status_code == 303
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("pending", 0)
    assert audit_actions()[-1] == ("outbox_retry", f"outbox_message:{message.id}")


def test_a_sent_email_is_not_retried(client, staff):
    message_id = enqueue(kind="receipt", dedupe_key="r2", to="a@example.org", subject="s",
                         text="t")
    db.session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT))
    db.session.commit()
    staff.signed_in("admin")
    staff.post(f"/staff/outbox/{message_id}/retry")
    assert "nothing to retry" in flashes(client, "/staff/outbox")


def test_an_admin_adds_promotes_and_disables_staff(client, staff):
    staff.signed_in("admin")
    assert staff.post("/staff/accounts", email="New@Example.org", role="viewer",
                      password="a long enough password").status_code == 303
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == "new@example.org"))
    assert user.role == "viewer" and user.password_hash.startswith("scrypt:")
    staff.post(f"/staff/accounts/{user.id}/role", role="admin")
    staff.post(f"/staff/accounts/{user.id}/disable")
    db.session.refresh(user)
    assert (user.role, user.active) == ("admin", False)
    assert [action for action, _ in audit_actions()][-3:] == [
        "staff_created", "role_changed", "staff_disabled"]


@pytest.mark.parametrize(("fields", "error"), [
    ({"email": "admin@example.org"}, "already has a staff account"),
    ({"email": "not an address"}, "Enter an email address"),
    ({"password": "short"}, "at least 12")])
def test_a_bad_new_account_is_explained(staff, fields, error):
    staff.signed_in("admin")
    answer = staff.post("/staff/accounts", **{"email": "n@example.org", "role": "viewer",
                                              "password": "a long enough password", **fields})
    assert answer.status_code == 400 and error in answer.get_data(as_text=True)


@pytest.mark.parametrize("change", ["role", "disable"])
def test_the_last_admin_cannot_lock_everyone_out(client, staff, change):
    admin = staff.signed_in("admin")
    staff.post(f"/staff/accounts/{admin.id}/{change}", role="viewer")
    assert "last active admin" in flashes(client, "/staff/accounts")
    db.session.refresh(admin)
    assert (admin.role, admin.active) == ("admin", True)


def test_enabling_unlocks_a_locked_account(app, staff):
    staff.signed_in("admin")
    locked = staff.account("locked@example.org", "viewer")
    someone = Staff(app.test_client())
    for _ in range(5):
        someone.sign_in("locked@example.org", "wrong password!")
    db.session.refresh(locked)
    assert locked.locked_until is not None
    staff.post(f"/staff/accounts/{locked.id}/enable")
    db.session.refresh(locked)
    assert (locked.locked_until, locked.failed_logins) == (None, 0)
