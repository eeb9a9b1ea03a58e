"""Staff erase a donor's personal data from the donor page (admins only, audited by id)."""

from sqlalchemy import select

from donate.extensions import db
from donate.ledger.models import Donation, Donor
from tests.staff.conftest import audit_actions


def paid_donor(client) -> Donor:
    started = client.post("/donations", headers={"Accept": "application/json"}, data={
        "amount": "10", "currency": "EUR", "frequency": "once", "provider": "sandbox",
        "email": "ada@example.org", "name": "Ada"}).get_json()
    client.post(f"/sandbox/checkout/{started['id']}", data={"outcome": "pay"})
    return db.session.scalar(select(Donor).where(Donor.email == "ada@example.org"))


def test_an_admin_erases_a_donor_and_the_donations_stay(client, staff):
    donor = paid_donor(client)
    staff.signed_in("admin")
    answer = staff.post(f"/staff/donors/{donor.id}/erase", confirm="y")
    assert answer.status_code == 303
    db.session.rollback()
    donor = db.session.get(Donor, donor.id)
    assert donor.erased_at is not None and donor.email != "ada@example.org"
    assert donor.name is None
    assert db.session.scalar(select(Donation.charged_minor)) == 1000
    assert ("donor_erased", f"donor:{donor.id}") in audit_actions()


def test_an_unconfirmed_erasure_changes_nothing(client, staff):
    donor = paid_donor(client)
    staff.signed_in("admin")
    staff.post(f"/staff/donors/{donor.id}/erase")
    db.session.rollback()
    assert db.session.get(Donor, donor.id).email == "ada@example.org"


def test_a_viewer_cannot_erase(client, staff):
    donor = paid_donor(client)
    staff.signed_in("viewer")
    assert staff.post(f"/staff/donors/{donor.id}/erase", confirm="y").status_code == 403
    db.session.rollback()
    assert db.session.get(Donor, donor.id).erased_at is None
