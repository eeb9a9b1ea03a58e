"""Helpers for the staff tests: accounts signed in through the real form, and ledger rows.

Ledger rows are written straight into the tables here (not through provider events) because the
report tests need donations in every state at chosen times, to check figures computed by hand.
"""

import re
from datetime import datetime

import pytest
from flask import g, request_started
from sqlalchemy import select

from donate.extensions import db
from donate.ledger.models import Donation, Donor, Pledge
from donate.staff.accounts import create_staff
from donate.staff.models import StaffAuditEntry, StaffUser

PASSWORD = "correct horse battery staple"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Staff:
    """Test helper: staff accounts, signing in and posting forms as a browser would."""

    def __init__(self, client) -> None:
        self.client = client

    def account(self, email: str = "admin@example.org", role: str = "admin") -> StaffUser:
        user = create_staff(email, PASSWORD, role)
        db.session.commit()
        return user

    def token(self, path: str = "/staff/login") -> str:
        """A CSRF token from a staff page's form (the session cookie keeps its pair)."""
        return TOKEN.search(self.client.get(path).get_data(as_text=True)).group(1)

    def sign_in(self, email: str = "admin@example.org", password: str = PASSWORD, **query):
        token = self.token()
        return self.client.post("/staff/login", query_string=query,
                                data={"csrf_token": token, "email": email, "password": password})

    def signed_in(self, role: str = "admin") -> StaffUser:
        user = self.account(f"{role}@example.org", role)
        assert self.sign_in(user.email).status_code == 303
        return user

    def post(self, path: str, **fields):
        """A form post with the token a signed-in page carries."""
        return self.client.post(path, data={"csrf_token": self.token("/staff/embed"), **fields})


@pytest.fixture
def staff(client) -> Staff:
    return Staff(client)


@pytest.fixture(autouse=True)
def fresh_g_per_request(app):
    """Each request starts with an empty g, as in production.

    The app fixture's context outlives the test's requests, and requests reuse it, so g would
    carry the signed-in user (Flask-Login) and CSRF token (Flask-WTF) from one request into the
    next, even into another client's.
    """

    def forget(sender, **extra) -> None:
        for name in ("_login_user", "csrf_token"):
            g.pop(name, None)

    request_started.connect(forget, app)
    yield
    request_started.disconnect(forget, app)


def audit_actions() -> list[tuple[str, str | None]]:
    db.session.rollback()  # a fresh snapshot: requests wrote on their own connection
    return [(entry.action, entry.target) for entry in
            db.session.scalars(select(StaffAuditEntry).order_by(StaffAuditEntry.id))]


class Books:
    """Test helper: donors, donations and pledges in any state, at any time."""

    def donor(self, email: str, name: str | None = None) -> Donor:
        donor = Donor(email=email, name=name)
        db.session.add(donor)
        db.session.commit()
        return donor

    def pledge(self, minor: int, currency: str = "EUR", status: str = "active",
               activated: datetime | None = None, cancelled: datetime | None = None,
               fee: int = 0, donor: Donor | None = None) -> Pledge:
        pledge = Pledge(currency=currency, amount_minor=minor, fee_minor=fee, provider="sandbox",
                        status=status, activated_at=activated, cancelled_at=cancelled,
                        donor=donor, created_at=activated or datetime(2025, 1, 1))
        db.session.add(pledge)
        db.session.commit()
        return pledge

    def donation(self, minor: int, currency: str = "EUR", status: str = "completed",
                 completed: datetime | None = None, created: datetime | None = None,
                 fee: int = 0, refunded: int = 0, **columns) -> Donation:
        created = created or completed or datetime(2026, 1, 1)
        donation = Donation(
            currency=currency, amount_minor=minor, fee_minor=fee, charged_minor=minor + fee,
            refunded_minor=refunded, status=status, completed_at=completed, created_at=created,
            provider=columns.pop("provider", "sandbox"),
            kind="installment" if columns.get("pledge") else "one_time", **columns)
        db.session.add(donation)
        db.session.commit()
        return donation


@pytest.fixture
def books(app) -> Books:
    return Books()
