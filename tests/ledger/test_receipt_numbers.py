"""Receipt numbers are given as a transaction commits (donate/ledger/receipts.py): in the order
of completion, without gaps, and without one transaction waiting for another's until then."""

import threading
from datetime import datetime

import pytest
from sqlalchemy import select

from donate.extensions import db
from donate.ledger import service as ledger
from donate.ledger.events import DonationRequest, LedgerEvent
from donate.ledger.models import Donation
from donate.ledger.states import Action
from donate.money import Money
from donate.outbox.models import OutboxMessage
from tests.conftest import POSTGRES

YEAR = datetime.now().year


def pending(email: str) -> Donation:
    donation, _ = ledger.create_donation(DonationRequest(
        amount=Money(1000, "EUR"), fee_minor=0, provider="sandbox", frequency="once",
        email=email))
    return donation


def paid(donation_ref: str) -> LedgerEvent:
    return LedgerEvent(Action.PAYMENT_SUCCEEDED, datetime.now(), donation_ref=donation_ref,
                       payment_ref=f"pay_{donation_ref}")


def number_of(public_id: str) -> str:
    db.session.rollback()
    return db.session.scalar(select(Donation.receipt_number)
                             .where(Donation.public_id == public_id))


def test_a_refund_written_with_the_completion_shows_the_number_too(app):
    donation = pending("ada@example.org")
    row, _ = ledger.record_provider_event("sandbox", "evt_paid_and_refunded", "test", "{}")
    ledger.apply_provider_event(row.id, lambda _row: [
        paid(donation.public_id),
        LedgerEvent(Action.REFUNDED, datetime.now(), donation_ref=donation.public_id,
                    amount=Money(400, "EUR"))])
    number = number_of(donation.public_id)
    assert number == f"{YEAR}-000001"
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [message.kind for message in messages] == ["receipt", "refund"]
    for message in messages:
        assert "[receipt number" not in f"{message.subject}{message.body_text}{message.body_html}"
    assert number in messages[0].subject and number in messages[1].body_text


def test_a_transaction_rolled_back_gives_its_numbers_back(app):
    first, second = pending("ada@example.org"), pending("bo@example.org")
    ledger.apply(paid(first.public_id), provider="sandbox")
    db.session.flush()  # a flush with a completion in it takes the number there and then
    db.session.rollback()
    row, _ = ledger.record_provider_event("sandbox", "evt_second", "test", "{}")
    ledger.apply_provider_event(row.id, lambda _row: [paid(second.public_id)])
    assert number_of(second.public_id) == f"{YEAR}-000001"
    assert number_of(first.public_id) is None


@pytest.mark.skipif(not POSTGRES, reason="row locks need PostgreSQL (set TEST_DATABASE_URL)")
def test_on_postgres_a_completion_holds_no_year_lock_until_it_commits(app):
    """Two events workers apply their batches side by side: one that has completed a donation
    but not committed does not stop another from numbering and committing its own."""
    held, waiting = pending("ada@example.org").public_id, pending("bo@example.org").public_id
    row_id = ledger.record_provider_event("sandbox", "evt_waiting", "test", "{}")[0].id
    # Plain values only from here: reading an expired attribute of this session's objects
    # would autoflush this session, and a flush with a completion in it takes the number.
    ledger.apply(paid(held), provider="sandbox")  # this session: completed, not committed

    def other_worker():
        with app.app_context():
            ledger.apply_provider_event(row_id, lambda _row: [paid(waiting)])

    worker = threading.Thread(target=other_worker)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "the other transaction waited for this one's year lock"
    db.session.commit()
    assert number_of(waiting) == f"{YEAR}-000001"
    assert number_of(held) == f"{YEAR}-000002"
