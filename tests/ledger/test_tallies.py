"""The tallies the ledger keeps (money per day, each donor's money per year) always equal a
recount from the donations, whatever events arrive, in whatever order, however often."""

import itertools
import json
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
import requests
from sqlalchemy import func, select

from donate.extensions import db
from donate.ledger import service as ledger
from donate.ledger.events import DonationRequest, LedgerEvent
from donate.ledger.models import Donation, Donor, Pledge, ProviderEvent
from donate.ledger.states import Action
from donate.money import Money
from donate.outbox.models import OutboxMessage
from donate.payments.registry import provider_named
from tests.conftest import POSTGRES
from tests.tallies import assert_tallies_match_donations, kept_and_recounted

A = Action
NOW = datetime(2026, 1, 3, 12)  # a year begins in the data: donors' yearly tallies split
event_ids = itertools.count(1)


class RandomLedger:
    """Drives the real ledger service with a seeded random mix of provider events."""

    def __init__(self, rng: random.Random, monkeypatch) -> None:
        self.rng = rng
        self.clock = NOW
        self.delivered: list[list[LedgerEvent]] = []  # (re)delivered under new event ids
        self.payment_refs = itertools.count(1)
        monkeypatch.setattr(ledger, "utcnow", lambda: self.clock)

    def step(self) -> None:
        self.clock = NOW - timedelta(days=self.rng.randint(0, 9), hours=self.rng.randint(0, 23))
        choice = self.rng.choices(
            [self.give, self.event, self.event, self.event, self.installment, self.again],
            weights=[5, 4, 4, 4, 2, 1])[0]
        choice()

    def give(self) -> None:
        monthly = self.rng.random() < 0.3
        amount = Money(self.rng.choice([500, 1000, 2500, 10000]), self.rng.choice(["EUR", "USD"]))
        email = self.rng.choice([None, "ada@example.org", "bo@example.org", "cy@example.org"])
        ledger.create_donation(DonationRequest(
            amount=amount, fee_minor=self.rng.choice([0, 0, 37]), provider="sandbox",
            frequency="monthly" if monthly else "once", email=email))

    def event(self) -> None:
        # ordered: a seed must pick the same rows on every database (PostgreSQL hands back
        # updated rows in whatever order they now lie on disk)
        donations = db.session.scalars(select(Donation).order_by(Donation.id)).all()
        if not donations:
            return
        events = [self.about(self.rng.choice(donations))
                  for _ in range(self.rng.choice([1, 1, 1, 2]))]
        self.deliver(events)

    def about(self, donation: Donation) -> LedgerEvent:
        action = self.rng.choice([A.PAYMENT_SUCCEEDED, A.PAYMENT_SUCCEEDED, A.PAYMENT_FAILED,
                                  A.CHECKOUT_CANCELLED, A.REFUNDED, A.REFUNDED,
                                  A.DISPUTE_OPENED, A.DISPUTE_WON, A.DISPUTE_LOST])
        fields = {}
        if action is A.REFUNDED:
            charged = donation.charged_minor  # cumulative: the edges, and anything between
            amount = self.rng.choice([1, charged // 2, charged - 1, charged,
                                      self.rng.randint(1, charged)])
            fields["amount"] = Money(amount, donation.currency)
        if action is A.PAYMENT_SUCCEEDED and self.rng.random() < 0.3:
            fields["email"] = self.rng.choice(["dee@example.org", "ada@example.org"])
        return LedgerEvent(action, self.clock, donation_ref=donation.public_id, **fields)

    def installment(self) -> None:
        pledges = db.session.scalars(select(Pledge).order_by(Pledge.id)).all()
        if not pledges:
            return
        pledge = self.rng.choice(pledges)
        self.deliver([LedgerEvent(A.INSTALLMENT_PAID, self.clock, pledge_ref=pledge.public_id,
                                  payment_ref=f"inv_{next(self.payment_refs)}",
                                  amount=pledge.charged)])

    def again(self) -> None:
        """An earlier delivery's events once more (a provider's retry under a new id)."""
        if self.delivered:
            self.deliver(self.rng.choice(self.delivered))

    def deliver(self, events: list[LedgerEvent]) -> None:
        self.delivered.append(events)
        row, _ = ledger.record_provider_event("sandbox", f"evt_{next(event_ids)}", "test", "{}")
        ledger.apply_provider_event(row.id, lambda _row: events)
        if self.rng.random() < 0.2:  # the same delivery twice: stored once, applied once
            ledger.apply_provider_event(row.id, lambda _row: events)


class RandomBatches(RandomLedger):
    """The same mix, stored and then applied in batches as the events worker applies them."""

    def __init__(self, rng: random.Random, monkeypatch) -> None:
        super().__init__(rng, monkeypatch)
        self.waiting: dict[int, list[LedgerEvent]] = {}

    def deliver(self, events: list[LedgerEvent]) -> None:
        self.delivered.append(events)
        row, _ = ledger.record_provider_event("sandbox", f"evt_{next(event_ids)}", "test", "{}")
        self.waiting[row.id] = events
        if len(self.waiting) >= self.rng.randint(1, 8):
            self.apply_waiting()

    def apply_waiting(self) -> None:
        events = dict(self.waiting)
        self.waiting.clear()
        ledger.apply_provider_events(list(events), lambda row: events[row.id])


@pytest.mark.parametrize("seed", range(8))
def test_after_a_random_mix_of_ledger_events_the_tallies_equal_a_recount(app, monkeypatch,
                                                                         seed):
    books = RandomLedger(random.Random(seed), monkeypatch)
    for step in range(1, 121):
        books.step()
        if step % 30 == 0:
            assert_tallies_match_donations()
    [(days, _), (donor_years, _)] = kept_and_recounted()
    assert days and donor_years  # the mix did reach the tallies
    assert_receipt_numbers_are_whole()


@pytest.mark.parametrize("seed", range(6))
def test_events_applied_in_batches_keep_the_tallies_equal_to_a_recount(app, monkeypatch, seed):
    """A batch's changes are written in one flush, its tallies summed per row; a batch with a
    refused event is rolled back and applied again event by event."""
    books = RandomBatches(random.Random(seed), monkeypatch)
    for step in range(1, 151):
        books.step()
        if step % 50 == 0:
            books.apply_waiting()
            assert_tallies_match_donations()
    unapplied = db.session.scalar(select(func.count(ProviderEvent.id)).where(
        ProviderEvent.processed_at.is_(None), ProviderEvent.error.is_(None)))
    assert unapplied == 0
    assert_receipt_numbers_are_whole()


def assert_receipt_numbers_are_whole() -> None:
    """Every completed donation has a number of its completion's year; each year's numbers run
    1, 2, 3, ... without a gap or a repeat; every email shows numbers, never a stand-in."""
    db.session.rollback()
    completed = db.session.scalars(select(Donation).where(Donation.completed_at.is_not(None))
                                   .order_by(Donation.receipt_number)).all()
    assert completed and all(donation.receipt_number for donation in completed)
    years = {donation.completed_at.year for donation in completed}
    assert len(years) == 2  # the clock crosses New Year
    for year in years:
        numbers = [donation.receipt_number for donation in completed
                   if donation.completed_at.year == year]
        assert numbers == [f"{year}-{n:06d}" for n in range(1, len(numbers) + 1)]
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert any(message.kind == "refund" for message in messages)
    for message in messages:
        assert "[receipt number" not in f"{message.subject}{message.body_text}{message.body_html}"
    by_public_id = {donation.public_id: donation for donation in completed}
    for message in messages:
        if message.kind == "receipt":
            number = by_public_id[message.dedupe_key.removeprefix("receipt:")].receipt_number
            assert number in message.subject and number in message.body_text


def test_a_change_rolled_back_takes_its_delta_with_it(app):
    donation, _ = ledger.create_donation(DonationRequest(
        amount=Money(1000, "EUR"), fee_minor=0, frequency="once", provider="sandbox"))
    paid = LedgerEvent(A.PAYMENT_SUCCEEDED, NOW, donation_ref=donation.public_id)
    refund = LedgerEvent(A.REFUNDED, NOW, donation_ref=donation.public_id,
                         amount=Money(400, "EUR"))
    malformed = LedgerEvent(A.REFUNDED, NOW, donation_ref=donation.public_id,
                            amount=Money(500, "USD"))
    row, _ = ledger.record_provider_event("sandbox", "evt_paid", "test", "{}")
    ledger.apply_provider_event(row.id, lambda _row: [paid])
    row, _ = ledger.record_provider_event("sandbox", "evt_mixed", "test", "{}")
    # the refund is applied and flushed, then a refund in dollars is refused: both are undone
    assert ledger.apply_provider_event(row.id, lambda _row: [refund, malformed]).error
    [(days, _), _] = kept_and_recounted()
    assert [sums[:4] for sums in days.values()] == [(1000, 1, 0, 0)]
    assert_tallies_match_donations()


def test_a_donation_changed_without_being_read_first_still_moves_its_tallies(app):
    """The old values of an expired row are loaded on change, so the right ones go."""
    donation = Donation(currency="EUR", amount_minor=2000, charged_minor=2000,
                        status="completed", completed_at=datetime(2025, 12, 30),
                        provider="sandbox", donor=Donor(email="ada@example.org"))
    db.session.add(donation)
    db.session.commit()  # expires it
    donation.refunded_minor, donation.status = 2000, "refunded"
    db.session.commit()
    assert_tallies_match_donations()
    db.session.delete(donation)
    db.session.commit()
    assert kept_and_recounted() == [({}, {}), ({}, {})]


@pytest.mark.skipif(not POSTGRES, reason="concurrent writers need PostgreSQL "
                                         "(set TEST_DATABASE_URL)")
def test_on_postgres_concurrent_payments_of_one_day_are_all_counted(live_server, app):
    sandbox = provider_named("sandbox")
    bodies = []
    for number in range(40):
        donation, _ = ledger.create_donation(DonationRequest(
            amount=Money(100 + number, "EUR"), fee_minor=0, provider="sandbox",
            frequency="monthly" if number % 4 == 0 else "once"))
        bodies.append(json.dumps(sandbox.outcome_event(donation, "pay")).encode())
    deliveries = bodies + bodies[::3]  # and some twice, as providers retry

    def deliver(body: bytes) -> int:
        return requests.post(f"{live_server}/webhooks/sandbox", data=body, timeout=60,
                             headers={**sandbox.sign(body),
                                      "Content-Type": "application/json"}).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert set(pool.map(deliver, deliveries)) == {200}
    assert_tallies_match_donations()
    [(days, _), _] = kept_and_recounted()
    assert sum(sums[0] for sums in days.values()) == sum(range(100, 140))
