"""`flask staff create` and `flask demo seed`."""

from sqlalchemy import func, select

from donate.extensions import db
from donate.ledger.models import Donation, Donor, Pledge, ReceiptSequence
from donate.staff.models import StaffUser
from tests.staff.conftest import PASSWORD, audit_actions


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
