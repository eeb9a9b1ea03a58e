"""The ledger service: events applied once, in any order, never moving a row backwards."""

import itertools
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from donate.extensions import db
from donate.ledger import service as ledger
from donate.ledger.events import DonationRequest, LedgerEvent
from donate.ledger.models import Donation, Pledge, ProviderEvent
from donate.ledger.states import Action
from donate.money import Money

A = Action
T0 = datetime(2026, 11, 1, 12, 0)
event_ids = itertools.count(1)


def donate(amount=1000, frequency="once", key=None, email=None, fee=0) -> Donation:
    donation, _ = ledger.create_donation(DonationRequest(
        amount=Money(amount, "EUR"), fee_minor=fee, frequency=frequency, provider="sandbox",
        email=email, idempotency_key=key, fingerprint=f"fp-{amount}-{frequency}"))
    return donation


def deliver(*events: LedgerEvent, event_id: str | None = None) -> ProviderEvent:
    """Store a provider event and apply it, as the inbox does."""
    row, _ = ledger.record_provider_event("sandbox", event_id or f"evt_{next(event_ids)}",
                                          "test", "{}")
    return ledger.apply_provider_event(row.id, lambda _row: list(events))


def on(donation: Donation, action: Action, at=T0, **fields) -> LedgerEvent:
    return LedgerEvent(action, at, donation_ref=donation.public_id, **fields)


def refund(donation: Donation, cumulative: int) -> LedgerEvent:
    return on(donation, A.REFUNDED, amount=Money(cumulative, "EUR"))


def fresh(donation: Donation) -> Donation:
    db.session.rollback()  # a fresh snapshot: other connections wrote
    return db.session.get(Donation, donation.id)


def paid(donation: Donation) -> Donation:
    deliver(on(donation, A.PAYMENT_SUCCEEDED, payment_ref=f"pay_{donation.public_id}"))
    return fresh(donation)


def test_a_payment_completes_a_pending_donation(app):
    donation = paid(donate())
    assert donation.status == "completed"
    assert donation.completed_at is not None
    assert donation.payment_ref == f"pay_{donation.public_id}"


def test_when_an_event_is_replayed_it_is_stored_once_and_changes_nothing(app):
    donation = donate()
    event = on(donation, A.PAYMENT_SUCCEEDED)
    first = deliver(event, event_id="evt_same")
    completed_at = fresh(donation).completed_at
    again = deliver(refund(donation, 1000), event_id="evt_same")  # same id, other content
    assert again.id == first.id
    assert db.session.scalar(select(func.count(ProviderEvent.id))) == 1
    assert fresh(donation).status == "completed"
    assert fresh(donation).completed_at == completed_at


def test_a_late_failure_does_not_undo_a_completed_payment(app):
    donation = paid(donate())
    row = deliver(on(donation, A.PAYMENT_FAILED))
    assert row.error is None
    assert fresh(donation).status == "completed"


def test_money_confirmed_after_an_abandoned_checkout_still_counts(app):
    donation = donate()
    deliver(on(donation, A.CHECKOUT_CANCELLED, reason="expired"))
    assert fresh(donation).status == "cancelled"
    assert paid(donation).status == "completed"


def test_refunds_are_cumulative_and_a_late_smaller_one_changes_nothing(app):
    donation = paid(donate(1000))
    deliver(refund(donation, 300))
    assert (fresh(donation).status, fresh(donation).refunded_minor) == ("partially_refunded", 300)
    deliver(refund(donation, 1000))
    assert (fresh(donation).status, fresh(donation).refunded_minor) == ("refunded", 1000)
    deliver(refund(donation, 300))  # the first refund's event, delivered again late
    assert (fresh(donation).status, fresh(donation).refunded_minor) == ("refunded", 1000)


def test_a_refund_never_exceeds_what_was_charged(app):
    donation = paid(donate(1000))
    deliver(refund(donation, 5000))
    assert fresh(donation).refunded_minor == 1000


def test_a_refund_of_an_unpaid_donation_is_refused_and_recorded(app):
    donation = donate()
    row = deliver(refund(donation, 500))
    assert row.processed_at is not None
    assert "IllegalTransition" in row.error
    assert (fresh(donation).status, fresh(donation).refunded_minor) == ("pending", 0)


def test_a_refund_in_another_currency_is_refused(app):
    donation = paid(donate(1000))
    row = deliver(on(donation, A.REFUNDED, amount=Money(1000, "USD")))
    assert "MalformedEvent" in row.error
    assert fresh(donation).status == "completed"


def test_a_won_dispute_returns_the_donation_to_completed(app):
    donation = paid(donate())
    deliver(on(donation, A.DISPUTE_OPENED))
    assert fresh(donation).status == "disputed"
    deliver(on(donation, A.DISPUTE_WON))
    assert (fresh(donation).status, fresh(donation).dispute_outcome) == ("completed", "won")


def test_a_lost_dispute_counts_as_refunded(app):
    donation = paid(donate(1000))
    deliver(on(donation, A.DISPUTE_OPENED))
    deliver(on(donation, A.DISPUTE_LOST))
    assert (fresh(donation).status, fresh(donation).refunded_minor) == ("refunded", 1000)


def test_a_dispute_closed_before_its_opening_arrives_stays_closed(app):
    donation = paid(donate())
    deliver(on(donation, A.DISPUTE_WON))
    deliver(on(donation, A.DISPUTE_OPENED))  # late
    assert (fresh(donation).status, fresh(donation).dispute_outcome) == ("completed", "won")


def test_a_won_dispute_after_a_partial_refund_keeps_the_refund(app):
    donation = paid(donate(1000))
    deliver(refund(donation, 200))
    deliver(on(donation, A.DISPUTE_OPENED))
    deliver(refund(donation, 400))  # a partial refund during the dispute
    assert fresh(donation).status == "disputed"
    deliver(on(donation, A.DISPUTE_WON))
    assert (fresh(donation).status, fresh(donation).refunded_minor) == ("partially_refunded", 400)


def test_an_event_about_an_unknown_donation_is_kept_with_its_error(app):
    row = deliver(LedgerEvent(A.PAYMENT_SUCCEEDED, T0, donation_ref="nobody"))
    assert "UnknownReference" in row.error
    assert db.session.scalar(select(func.count(Donation.id))) == 0


def test_donations_are_found_by_the_providers_checkout_reference(app):
    donation = donate()
    ledger.record_checkout(donation, "cs_123", "https://pay.example/cs_123")
    deliver(LedgerEvent(A.PAYMENT_SUCCEEDED, T0, checkout_ref="cs_123", email="Reader@Example.org",
                        name="Ada"))
    donation = fresh(donation)
    assert donation.status == "completed"
    assert (donation.donor.email, donation.donor.name) == ("reader@example.org", "Ada")


def monthly(pledge: Pledge, action: Action, at=T0, **fields) -> LedgerEvent:
    return LedgerEvent(action, at, pledge_ref=pledge.public_id, **fields)


def installment(pledge: Pledge, month: int, at=T0, amount=1000) -> LedgerEvent:
    return monthly(pledge, A.INSTALLMENT_PAID, at=at, payment_ref=f"inv_{month}",
                   amount=Money(amount, "EUR"))


def pledge_donations(pledge: Pledge) -> list[Donation]:
    db.session.rollback()  # a fresh snapshot: other connections wrote
    return db.session.scalars(select(Donation).where(Donation.pledge_id == pledge.id)
                              .order_by(Donation.id)).all()


def test_the_first_installment_completes_the_checkout_donation_without_double_counting(app):
    first = donate(1000, "monthly")
    pledge = first.pledge
    deliver(monthly(pledge, A.PLEDGE_ACTIVATED), installment(pledge, 1))
    deliver(installment(pledge, 1))  # the same invoice reported again, under another event id
    rows = pledge_donations(pledge)
    assert [(row.id, row.status, row.payment_ref) for row in rows] == [
        (first.id, "completed", "inv_1")]
    assert db.session.get(Pledge, pledge.id).status == "active"


def test_a_monthly_life_of_charges_a_failure_recovery_and_cancellation(app):
    pledge = donate(1000, "monthly", fee=61).pledge
    deliver(monthly(pledge, A.PLEDGE_ACTIVATED), installment(pledge, 1, amount=1061))
    deliver(installment(pledge, 2, T0 + timedelta(days=30), amount=1061))
    deliver(monthly(pledge, A.INSTALLMENT_FAILED, T0 + timedelta(days=60)))
    assert db.session.get(Pledge, pledge.id).status == "past_due"
    deliver(installment(pledge, 3, T0 + timedelta(days=62), amount=1061))
    assert db.session.get(Pledge, pledge.id).status == "active"
    deliver(monthly(pledge, A.PLEDGE_CANCELLED, T0 + timedelta(days=70)))
    rows = pledge_donations(pledge)
    assert [(r.status, r.amount_minor, r.fee_minor, r.charged_minor) for r in rows] == [
        ("completed", 1000, 61, 1061)] * 3
    assert db.session.get(Pledge, pledge.id).status == "cancelled"


def test_an_old_failure_arriving_after_a_newer_payment_does_not_make_a_pledge_past_due(app):
    pledge = donate(1000, "monthly").pledge
    deliver(installment(pledge, 1, T0))
    deliver(installment(pledge, 2, T0 + timedelta(days=31)))
    deliver(monthly(pledge, A.INSTALLMENT_FAILED, T0 + timedelta(days=30)))  # late
    assert db.session.get(Pledge, pledge.id).status == "active"


def test_a_charge_after_cancellation_is_counted_but_does_not_revive_the_pledge(app):
    pledge = donate(1000, "monthly").pledge
    deliver(installment(pledge, 1, T0))
    deliver(monthly(pledge, A.PLEDGE_CANCELLED, T0 + timedelta(days=10)))
    deliver(installment(pledge, 2, T0 + timedelta(days=31)))
    assert db.session.get(Pledge, pledge.id).status == "cancelled"
    assert [row.status for row in pledge_donations(pledge)] == ["completed", "completed"]


def test_a_pledge_is_found_by_the_providers_subscription_reference(app):
    first = donate(1000, "monthly")
    ledger.record_checkout(first, "cs_1", "https://pay.example/cs_1", subscription_ref="sub_9")
    deliver(LedgerEvent(A.INSTALLMENT_PAID, T0, subscription_ref="sub_9", payment_ref="inv_1",
                        amount=Money(1000, "EUR")))
    assert fresh(first).status == "completed"


def test_an_idempotency_key_returns_the_first_donation(app):
    first = donate(key="k1")
    again = donate(key="k1")
    assert again.id == first.id
    assert db.session.scalar(select(func.count(Donation.id))) == 1


def test_an_idempotency_key_reused_for_another_request_is_refused(app):
    donate(1000, key="k1")
    with pytest.raises(ledger.IdempotencyConflict):
        donate(2000, key="k1")


def test_every_transition_is_logged_with_its_event(app, caplog):
    donation = donate()
    caplog.set_level("INFO", logger="donate.ledger")
    deliver(on(donation, A.PAYMENT_SUCCEEDED), event_id="evt_logged")
    [record] = [r for r in caplog.records if r.getMessage() == "donation transition"]
    assert (record.donation, record.to, record.event) == (donation.public_id, "completed",
                                                          "evt_logged")
