"""Signing in and out: hashed passwords, CSRF, lockout per account, rate limit per address."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from config import ProductionConfig
from donate.extensions import db
from donate.ledger.models import utcnow
from donate.staff.models import StaffUser
from tests.staff.conftest import PASSWORD, audit_actions


def test_a_password_is_stored_as_a_scrypt_hash(staff):
    user = staff.account()
    assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash


def test_signing_in_opens_the_page_asked_for_and_signing_out_closes_it(client, staff):
    user = staff.account()
    asked = client.get("/staff/donations?currency=EUR")
    assert asked.status_code == 302 and "/staff/login?next=" in asked.location
    answer = staff.sign_in(next="/staff/donations?currency=EUR")
    assert (answer.status_code, answer.location) == (303, "/staff/donations?currency=EUR")
    assert client.get("/staff/").status_code == 200
    assert staff.post("/staff/logout").status_code == 303
    assert client.get("/staff/").status_code == 302
    assert audit_actions() == [("staff_created", f"staff_user:{user.id}"),
                               ("login", f"staff_user:{user.id}"),
                               ("logout", f"staff_user:{user.id}")]


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/staff/",
                                      "/widget", "/\\evil.example"])
def test_sign_in_never_sends_anyone_off_the_staff_pages(staff, next_url):
    staff.account()
    assert staff.sign_in(next=next_url).location == "/staff/"


def test_the_session_cookie_is_httponly_and_samesite(staff):
    staff.account()
    cookie = staff.sign_in().headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE


@pytest.mark.parametrize(("email", "password"), [("admin@example.org", "wrong password 1"),
                                                 ("nobody@example.org", PASSWORD)])
def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(staff, email, password):
    staff.account()
    answer = staff.sign_in(email, password)
    assert answer.status_code == 200
    assert "do not match an active staff account" in answer.get_data(as_text=True)


def test_a_login_post_without_its_csrf_token_is_refused(client, staff):
    staff.account()
    answer = client.post("/staff/login", data={"email": "admin@example.org",
                                               "password": PASSWORD})
    assert answer.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_sign_out_needs_a_post_with_the_token(client, staff):
    staff.signed_in()
    assert client.get("/staff/logout").status_code == 405
    assert client.post("/staff/logout").status_code == 400
    assert client.get("/staff/").status_code == 200


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(app, staff):
    user = staff.account()
    for _ in range(app.config["STAFF_LOCKOUT_AFTER"]):
        staff.sign_in(password="not the password")
    assert staff.sign_in().status_code == 200  # locked: the right password is not even tried
    db.session.refresh(user)
    assert user.locked_until > utcnow() + timedelta(minutes=14)
    assert [action for action, _ in audit_actions()][-2:] == ["login_failed", "login_refused"]
    db.session.execute(update(StaffUser).values(locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert staff.sign_in().status_code == 303


def test_a_good_sign_in_resets_the_count_of_failures(staff):
    user = staff.account()
    for _ in range(4):
        staff.sign_in(password="not the password")
    assert staff.sign_in().status_code == 303
    db.session.refresh(user)
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_a_disabled_account_cannot_sign_in_and_its_session_ends(client, staff):
    staff.signed_in("viewer")
    db.session.execute(update(StaffUser).values(active=False))
    db.session.commit()
    assert client.get("/staff/").status_code == 302
    assert staff.sign_in("viewer@example.org").status_code == 200


@pytest.fixture
def app_overrides(request):
    if request.node.get_closest_marker("limited"):
        return {"RATELIMIT_ENABLED": True, "STAFF_LOGIN_RATE_LIMIT": "3/minute"}
    return {}


@pytest.mark.limited
def test_sign_in_attempts_are_rate_limited_per_address_across_accounts(client, staff):
    staff.account()
    answers = [staff.sign_in(f"guess{n}@example.org", "guess").status_code for n in range(4)]
    assert answers == [200, 200, 200, 429]
    assert client.get("/staff/login").status_code == 200  # the form itself stays readable


@pytest.mark.parametrize(("seen_ago", "since_ago", "message"), [
    (31 * 60, 31 * 60, "signed out after 30 minutes without activity"),
    (60, 13 * 3600, "signed out after 12 hours"),
])
def test_an_idle_or_old_session_ends(client, staff, seen_ago, since_ago, message):
    staff.signed_in()
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        now = session["staff_seen"]
        session["staff_seen"], session["staff_since"] = now - seen_ago, now - since_ago
    answer = client.get("/staff/donations")
    assert answer.status_code == 302 and "/staff/login?next=/staff/donations" in answer.location
    assert message in client.get(answer.location).get_data(as_text=True)
    assert client.get("/staff/").status_code == 302  # signed out for good, not just once


def test_an_active_session_stays_open(client, staff):
    staff.signed_in()
    with client.session_transaction() as session:
        session["staff_seen"] -= 29 * 60
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        assert session["staff_seen"] >= session["staff_since"]  # renewed by that request
