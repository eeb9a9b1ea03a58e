"""`flask staff create`, `flask staff rebuild-totals` and `flask demo seed`."""

from datetime import datetime

from sqlalchemy import delete, func, select, update

from donate.extensions import db
from donate.ledger.daily import DonationDay
from donate.ledger.donor_years import DonorYear
from donate.ledger.models import Donation, Donor, Pledge, ReceiptSequence
from donate.staff.models import StaffUser
from tests.staff.conftest import PASSWORD, audit_actions
from tests.tallies import assert_tallies_match_donations, kept_and_recounted


def count(column) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(column)))


def test_staff_create_reads_the_password_from_stdin(runner, staff):
    result = runner.invoke(args=["staff", "create", "Ops@Example.org", "--role", "admin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "ops@example.org can now sign in" in result.output
    user = db.session.scalar(select(StaffUser))
    assert (user.email, user.role) == ("ops@example.org", "admin")
    assert staff.sign_in("ops@example.org").status_code == 303
    assert audit_actions()[0] == ("staff_created", f"staff_user:{user.id}")


def test_staff_create_makes_viewers_unless_told_otherwise(runner):
    runner.invoke(args=["staff", "create", "reader@example.org"], input=PASSWORD + "\n")
    assert db.session.scalar(select(StaffUser.role)) == "viewer"


def test_staff_create_refuses_short_passwords_duplicates_and_unknown_roles(runner):
    short = runner.invoke(args=["staff", "create", "a@example.org"], input="short\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    runner.invoke(args=["staff", "create", "a@example.org"], input=PASSWORD + "\n")
    again = runner.invoke(args=["staff", "create", "a@example.org"], input=PASSWORD + "\n")
    assert again.exit_code == 1 and "already has a staff account" in again.output
    role = runner.invoke(args=["staff", "create", "b@example.org", "--role", "root"])
    assert role.exit_code == 2
    assert count(StaffUser.id) == 1


def test_demo_seed_writes_realistic_rows_in_batches(runner):
    result = runner.invoke(args=["demo", "seed", "--donations", "400", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert count(Donation.id) == 400 and count(Donor.id) == 80 and count(Pledge.id) > 0
    db.session.rollback()
    kinds = dict(db.session.execute(select(Donation.kind, func.count())
                                    .group_by(Donation.kind)).all())
    assert 100 < kinds["installment"] < 180 and kinds["one_time"] > 200
    assert len(set(db.session.scalars(select(Donation.currency)))) == 3
    assert "completed" in set(db.session.scalars(select(Donation.status)))
    settled = db.session.scalars(select(Donation.receipt_number).where(
        Donation.completed_at.is_not(None))).all()
    assert None not in settled and len(set(settled)) == len(settled)
    assert sum(db.session.scalars(select(ReceiptSequence.last_number))) == len(settled)


def test_demo_seed_can_run_again_on_the_same_database(runner):
    for _ in range(2):
        assert runner.invoke(args=["demo", "seed", "--donations", "50"]).exit_code == 0
    assert count(Donation.id) == 100


def test_demo_seed_leaves_the_dashboard_tallies_as_a_recount_makes_them(runner):
    for _ in range(2):  # the second run adds to the days of the first
        assert runner.invoke(args=["demo", "seed", "--donations", "300"]).exit_code == 0
    assert_tallies_match_donations()
    [(days, _), (donor_years, _)] = kept_and_recounted()
    assert days and donor_years


def test_rebuild_totals_recounts_the_tallies_from_the_donations(runner, books):
    alice = books.donor("alice@example.org")
    books.donation(1000, completed=datetime(2025, 12, 31, 23), donor=alice)
    books.donation(2500, "USD", completed=datetime(2026, 1, 1), refunded=500,
                   status="partially_refunded", donor=alice)
    # as after a bulk import by SQL, which the ledger never saw
    db.session.execute(update(DonationDay).values(net_minor=DonationDay.net_minor + 1))
    db.session.execute(delete(DonorYear))
    db.session.commit()
    result = runner.invoke(args=["staff", "rebuild-totals"])
    assert result.exit_code == 0, result.output
    assert "Recounted 2025 (1 of 2 years)" in result.output
    assert "Recounted 2026 (2 of 2 years)" in result.output
    assert_tallies_match_donations()
    assert count(DonorYear.donor_id) == 2


def test_rebuild_totals_of_no_donations_empties_the_tallies(runner, books):
    books.donation(1000, completed=datetime(2026, 1, 1))
    db.session.execute(delete(Donation))  # a bulk DELETE: no ORM events, the tallies stay
    db.session.commit()
    assert runner.invoke(args=["staff", "rebuild-totals"]).exit_code == 0
    assert count(DonationDay.day) == 0
