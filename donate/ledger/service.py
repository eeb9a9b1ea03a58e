"""The one way in for every change to donations, pledges, donors and provider events.

Each public function is a unit of work: it writes its rows and commits (or rolls back) once.
Rows that money depends on are read FOR UPDATE, so concurrent events about one donation are
applied one after the other on PostgreSQL (SQLite serialises writers anyway).
"""

import logging
from datetime import timedelta
from functools import cache

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from donate.emails import read_email
from donate.extensions import db, insert_for
from donate.ledger import receipts
from donate.ledger.events import DonationRequest, LedgerEvent, MalformedEvent, UnknownReference
from donate.ledger.models import Donation, Donor, Pledge, ProviderEvent, utcnow
from donate.ledger.states import (
    DONATION_ALREADY_DONE,
    DONATION_TRANSITIONS,
    PLEDGE_ALREADY_DONE,
    PLEDGE_TRANSITIONS,
    Action,
    DonationStatus,
    IllegalTransition,
    PledgeStatus,
    next_status,
)
from donate.mail import notices

log = logging.getLogger("donate.ledger")


class IdempotencyConflict(Exception):
    """An Idempotency-Key reused with a different request."""


def create_donation(request: DonationRequest) -> tuple[Donation, bool]:
    """Write a pending donation (and pledge, for monthly); return it and whether it is new.

    A request whose Idempotency-Key was seen before returns the first donation instead.
    """
    if request.idempotency_key:
        existing = _donation_for_key(request)
        if existing:
            return existing, False
    donor = _donor_for(request.email, request.name, request.locale)
    pledge = None
    if request.frequency == "monthly":
        pledge = Pledge(currency=request.amount.currency, amount_minor=request.amount.minor,
                        fee_minor=request.fee_minor, provider=request.provider, donor=donor,
                        source=request.source)
        db.session.add(pledge)
    donation = Donation(
        kind="installment" if pledge else "one_time", currency=request.amount.currency,
        amount_minor=request.amount.minor, fee_minor=request.fee_minor,
        charged_minor=request.amount.minor + request.fee_minor, provider=request.provider,
        pledge=pledge, donor=donor, source=request.source, newsletter_opt_in=request.newsletter,
        idempotency_key=request.idempotency_key, request_fingerprint=request.fingerprint,
        client_network=request.client_network, locale=request.locale,
    )
    db.session.add(donation)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent request with the same key won the race
        db.session.rollback()
        existing = _donation_for_key(request) if request.idempotency_key else None
        if existing is None:
            raise
        return existing, False
    log.info("donation created", extra={"donation": donation.public_id, "status": "pending",
                                        "frequency": request.frequency,
                                        "provider": request.provider})
    return donation, True


def _donation_for_key(request: DonationRequest) -> Donation | None:
    existing = db.session.scalar(
        select(Donation).where(Donation.idempotency_key == request.idempotency_key))
    if existing is not None and existing.request_fingerprint != request.fingerprint:
        raise IdempotencyConflict("this Idempotency-Key was used for a different donation")
    return existing


def _donor_for(email: str | None, name: str | None, locale: str) -> Donor | None:
    if not email:
        return None
    email = email.strip().lower()
    donor = db.session.scalar(select(Donor).where(Donor.email == email))
    if donor is None:
        try:
            with db.session.begin_nested():
                donor = Donor(email=email, name=name, locale=locale)
                db.session.add(donor)
        except IntegrityError:  # created concurrently by another request
            donor = db.session.scalar(select(Donor).where(Donor.email == email))
    else:
        donor.name = name or donor.name
        donor.locale = locale  # the language they gave in last is the one they read
    return donor


def record_checkout(donation: Donation, checkout_ref: str, checkout_url: str,
                    subscription_ref: str | None = None) -> None:
    """Remember where the reader pays: the provider's checkout object and its page."""
    donation.checkout_ref = checkout_ref
    donation.checkout_url = checkout_url
    if subscription_ref and donation.pledge:
        donation.pledge.provider_ref = subscription_ref
    db.session.commit()


def fail_checkout(donation: Donation, reason: str) -> None:
    """The provider would not open a checkout; the donation can never be paid."""
    donation = _locked(Donation, donation.id)
    _move_donation(donation, Action.PAYMENT_FAILED, reason=reason)
    db.session.commit()


def record_provider_event(provider: str, event_id: str, type_: str,
                          payload: str) -> tuple[ProviderEvent, bool]:
    """Store an event before anything acts on it; return it and whether it is new."""
    event = ProviderEvent(provider=provider, event_id=event_id, type=type_, payload=payload)
    db.session.add(event)
    try:
        db.session.commit()
        return event, True
    except IntegrityError:
        db.session.rollback()
        existing = db.session.scalar(select(ProviderEvent).where(
            ProviderEvent.provider == provider, ProviderEvent.event_id == event_id))
        return existing, False


def store_provider_event(provider: str, event_id: str, type_: str, payload: str) -> bool:
    """Store an event for the events worker to apply; say whether it was new.

    One statement (INSERT ... ON CONFLICT DO NOTHING): a repeated delivery finds the stored
    row and changes nothing, without an error to roll back. On PostgreSQL it runs alone in
    autocommit, committed (durably) in one round trip instead of three, BEGIN, INSERT and
    COMMIT (a third less CPU per delivery, measured in one process). On SQLite it stays in
    the session's transaction: autocommit there would undo use_real_sqlite_transactions on
    that connection.
    """
    params = {"provider": provider, "event_id": event_id, "type": type_, "payload": payload}
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as alone:
            return alone.execute(_store_once("postgresql"), params).scalar() is not None
    new = db.session.connection().execute(  # Core: a burst's hot path, no ORM object needed
        _store_once(db.session.get_bind().dialect.name), params).scalar() is not None
    db.session.commit()
    return new


@cache
def _store_once(dialect_name: str):
    """store_provider_event's INSERT, built once (building it costs more than running it)."""
    return (insert_for(dialect_name, ProviderEvent)
            .on_conflict_do_nothing(index_elements=["provider", "event_id"])
            .returning(ProviderEvent.id))


def apply_provider_event(event_row_id: int, translate) -> ProviderEvent:
    """Apply a stored event once: `translate(row)` gives its LedgerEvents.

    An event already processed changes nothing. An event we cannot apply (illegal for the
    row's state, about a row we do not have, missing fields) is marked with its error and not
    retried; any other failure propagates, the row stays unprocessed, and the provider's
    retry (or `flask events replay`) applies it later.
    """
    row = _apply_locked_event(_locked(ProviderEvent, event_row_id), translate)
    db.session.commit()
    return row


def apply_provider_events(event_row_ids: list[int], translate) -> None:
    """Apply several stored events as apply_provider_event does, in one transaction.

    How the events worker keeps up with a burst: the donations the events name are read and
    locked in one query; the events are applied with no savepoint each, so their changes go
    out in one flush at commit (tallies summed, see tally_events.py); one commit for the lot.
    Should any event be refused or fail, that attempt is rolled back to the batch's savepoint
    and the batch applied again one event per savepoint, where a refusal is recorded on its
    event alone. Any other failure rolls back all.
    """
    rows = db.session.scalars(
        select(ProviderEvent).where(ProviderEvent.id.in_(event_row_ids))
        .order_by(ProviderEvent.id).with_for_update()
        .execution_options(populate_existing=True)).all()
    translate = _remembered(translate)
    try:
        db.session.info[AT_HAND] = _lock_donations_named(rows, translate)
        try:
            with db.session.begin_nested():
                for row in rows:
                    _apply_locked_event(row, translate, own_savepoint=False)
        except Exception as first_try:  # the second try sorts out which event, and why
            log.info("event batch applied one savepoint per event",
                     extra={"events": len(rows), "reason": type(first_try).__name__})
            for row in rows:
                _apply_locked_event(row, translate)
        db.session.commit()
    finally:
        db.session.info.pop(AT_HAND, None)


#: Where apply_provider_events keeps the donations it locked up front, by reference.
AT_HAND = "donate.donations_at_hand"
REFERENCES = (("public_id", "donation_ref"), ("checkout_ref", "checkout_ref"),
              ("payment_ref", "payment_ref"))


def _remembered(translate):
    """`translate`, once per row in this batch (it parses the payload; a batch that is
    applied again per savepoint would parse everything twice)."""
    done: dict[int, list[LedgerEvent]] = {}

    def translate_once(row: ProviderEvent) -> list[LedgerEvent]:
        if row.id not in done:
            done[row.id] = list(translate(row))
        return done[row.id]

    return translate_once


def _lock_donations_named(rows: list[ProviderEvent], translate) -> dict[tuple, Donation]:
    """The donations the events name, read and locked (in id order) with one query per
    provider, by (provider, column, reference); _find_donation looks here first."""
    wanted: dict[str, dict[str, set]] = {}
    for row in rows:
        try:
            events = translate(row) if row.processed_at is None else []
        except MalformedEvent:
            continue  # refused when applied
        for event in events:
            if _about_a_pledge(event):
                continue
            for column, field in REFERENCES:
                if getattr(event, field):
                    wanted.setdefault(row.provider, {}).setdefault(column, set()).add(
                        getattr(event, field))
    at_hand = {}
    for provider, references in wanted.items():
        found = db.session.scalars(
            select(Donation).where(Donation.provider == provider, or_(*(
                getattr(Donation, column).in_(sorted(values))
                for column, values in references.items())))
            .options(joinedload(Donation.donor)).order_by(Donation.id)
            .with_for_update(of=Donation))
        for donation in found:
            for column, _ in REFERENCES:
                if getattr(donation, column):
                    at_hand[(provider, column, getattr(donation, column))] = donation
    return at_hand


def _apply_locked_event(row: ProviderEvent, translate,
                        own_savepoint: bool = True) -> ProviderEvent:
    """Apply a locked, stored event. In its own savepoint, a refusal is recorded on the
    event; without (`own_savepoint=False`) it is raised, for the caller's savepoint to take
    back this event and all before it."""
    if row.processed_at is not None:
        return row
    row.attempts += 1
    row.processed_at = utcnow()
    if not own_savepoint:
        _apply_ledger_events(row, translate)
        row.error = None
        return row
    try:
        with db.session.begin_nested():
            _apply_ledger_events(row, translate)
        row.error = None
    except UnknownReference as early:
        # Perhaps about a payment whose own event has not arrived yet (a refund before its
        # sale): kept unprocessed and tried again after later events (retry_deferred).
        row.error = f"UnknownReference: {early}"
        row.processed_at = None
        log.info("provider event deferred", extra={"event": row.event_id,
                                                   "provider": row.provider, "error": row.error})
    except (IllegalTransition, MalformedEvent) as refused:
        row.error = f"{type(refused).__name__}: {refused}"
        log.warning("provider event refused", extra={"event": row.event_id,
                                                     "provider": row.provider,
                                                     "error": row.error})
    return row


def _apply_ledger_events(row: ProviderEvent, translate) -> None:
    for ledger_event in translate(row):
        apply(ledger_event, provider=row.provider, event_id=row.event_id)


#: How long, and how often, an event about a row we do not know is tried again.
DEFERRED_FOR = timedelta(days=7)
DEFERRED_ATTEMPTS = 20


def retry_deferred(provider: str, translate, limit: int = 20) -> int:
    """Try again the recent events that named a donation or pledge we did not have yet."""
    due = db.session.scalars(
        select(ProviderEvent.id).where(
            ProviderEvent.provider == provider, ProviderEvent.processed_at.is_(None),
            ProviderEvent.error.is_not(None), ProviderEvent.attempts < DEFERRED_ATTEMPTS,
            ProviderEvent.received_at > utcnow() - DEFERRED_FOR)
        .order_by(ProviderEvent.id).limit(limit)).all()
    db.session.rollback()
    applied = 0
    for event_id in due:
        applied += apply_provider_event(event_id, translate).processed_at is not None
    return applied


def apply(event: LedgerEvent, provider: str, event_id: str | None = None) -> None:
    """Apply one provider-neutral event to the rows it is about (inside the caller's unit)."""
    if event.action is Action.PLEDGE_AMOUNT_CHANGED:
        _change_pledge_amount(event, provider, event_id)
        return
    if _about_a_pledge(event):
        _apply_to_pledge(event, provider, event_id)
        return
    donation = _find_donation(event, provider)
    if donation is None:
        raise UnknownReference(f"no donation for {event.action} ({_refs(event)})")
    _attach_donor(donation, event)
    if event.action is Action.REFUNDED:
        _record_refund(donation, event, event_id)
    else:
        _apply_to_donation(donation, event, event_id)


def _about_a_pledge(event: LedgerEvent) -> bool:
    return event.action is Action.PLEDGE_AMOUNT_CHANGED or event.action in PLEDGE_TRANSITIONS


DISPUTE_OUTCOMES = {Action.DISPUTE_OPENED: "open", Action.DISPUTE_WON: "won",
                    Action.DISPUTE_LOST: "lost"}


def _apply_to_donation(donation: Donation, event: LedgerEvent, event_id: str | None) -> None:
    action = event.action
    if action is Action.PAYMENT_SUCCEEDED and event.payment_ref and not donation.payment_ref:
        donation.payment_ref = event.payment_ref
    if action in DISPUTE_OUTCOMES:
        if action is Action.DISPUTE_OPENED and donation.dispute_outcome in {"won", "lost"}:
            return  # the dispute was closed already; this "opened" is late
        donation.dispute_outcome = DISPUTE_OUTCOMES[action]
    if action is Action.DISPUTE_LOST:
        donation.refunded_minor = donation.charged_minor
    target = None
    if action is Action.DISPUTE_WON and donation.refunded_minor:
        target = DonationStatus.PARTIALLY_REFUNDED
    _move_donation(donation, action, event_id, target=target, reason=event.reason)


def _record_refund(donation: Donation, event: LedgerEvent, event_id: str | None) -> None:
    """Refund amounts are cumulative, so a late or repeated event can only ever add."""
    if event.amount is None or event.amount.currency != donation.currency:
        raise MalformedEvent("a refund needs the cumulative amount in the donation's currency")
    current = DonationStatus(donation.status)
    next_status(DONATION_TRANSITIONS, DONATION_ALREADY_DONE, Action.REFUNDED, current)
    refunded = min(max(donation.refunded_minor, event.amount.minor), donation.charged_minor)
    if refunded == donation.refunded_minor:
        return
    donation.refunded_minor = refunded
    full = refunded == donation.charged_minor
    if current == DonationStatus.DISPUTED and not full:
        return  # a partial refund during a dispute leaves it disputed
    target = DonationStatus.REFUNDED if full else DonationStatus.PARTIALLY_REFUNDED
    _set_status(donation, target, Action.REFUNDED, event_id)


def _move_donation(donation: Donation, action: Action, event_id: str | None = None,
                   target: DonationStatus | None = None, reason: str | None = None) -> None:
    """Move by the state table; `target` refines where a legal move lands."""
    current = DonationStatus(donation.status)
    new = next_status(DONATION_TRANSITIONS, DONATION_ALREADY_DONE, action, current)
    if new is None:
        return
    if reason and new in {DonationStatus.FAILED, DonationStatus.CANCELLED}:
        donation.failure_reason = reason[:500]
    _set_status(donation, target or new, action, event_id)


def _set_status(donation: Donation, new: DonationStatus, action: Action,
                event_id: str | None) -> None:
    current = donation.status
    if new == current:
        return
    donation.status = new
    if new == DonationStatus.COMPLETED and donation.completed_at is None:
        donation.completed_at = utcnow()
        receipts.number_at_commit(donation)
    log.info("donation transition", extra={"donation": donation.public_id, "from": current,
                                           "to": new, "action": action, "event": event_id})
    notices.donation_changed(donation, DonationStatus(current), new)


def _apply_to_pledge(event: LedgerEvent, provider: str, event_id: str | None) -> None:
    pledge = _find_pledge(event, provider)
    if pledge is None:
        raise UnknownReference(f"no pledge for {event.action} ({_refs(event)})")
    if event.subscription_ref and not pledge.provider_ref:
        pledge.provider_ref = event.subscription_ref
    email = _provider_email(event.email)
    if pledge.donor_id is None and email:
        pledge.donor = _donor_for(email, event.name, _language_of(pledge))
    if event.action is Action.INSTALLMENT_PAID:
        _record_installment(pledge, event, event_id)
    late = pledge.status_as_of is not None and event.occurred_at < pledge.status_as_of
    if late and event.action is not Action.PLEDGE_CANCELLED:
        return  # an older event cannot undo what a newer one did or confirmed
    current = PledgeStatus(pledge.status)
    new = next_status(PLEDGE_TRANSITIONS, PLEDGE_ALREADY_DONE, event.action, current)
    pledge.status_as_of = max(event.occurred_at, pledge.status_as_of or event.occurred_at)
    if new is None:
        return
    pledge.status = new
    if new == PledgeStatus.ACTIVE and pledge.activated_at is None:
        pledge.activated_at = utcnow()
    if new == PledgeStatus.CANCELLED:
        pledge.cancelled_at = utcnow()
    notices.pledge_changed(pledge, current, new)
    log.info("pledge transition", extra={"pledge": pledge.public_id, "from": current, "to": new,
                                         "action": event.action, "event": event_id})


def _change_pledge_amount(event: LedgerEvent, provider: str, event_id: str | None) -> None:
    """The provider now charges a new monthly amount (the donor changed it); no fee on top."""
    pledge = _find_pledge(event, provider)
    if pledge is None:
        raise UnknownReference(f"no pledge for {event.action} ({_refs(event)})")
    if event.amount is None or event.amount.currency != pledge.currency:
        raise MalformedEvent("an amount change needs the new amount in the pledge's currency")
    if pledge.status == PledgeStatus.CANCELLED or event.amount.minor == pledge.charged_minor:
        return
    log.info("pledge amount changed", extra={"pledge": pledge.public_id, "event": event_id,
                                             "from": pledge.charged_minor,
                                             "to": event.amount.minor})
    pledge.amount_minor, pledge.fee_minor = event.amount.minor, 0


def _record_installment(pledge: Pledge, event: LedgerEvent, event_id: str | None) -> None:
    """Count one month's charge once: the first completes the checkout's pending donation."""
    if event.payment_ref is None or event.amount is None:
        raise MalformedEvent("an installment needs the provider's payment id and amount")
    if db.session.scalar(select(Donation.id).where(Donation.provider == pledge.provider,
                                                   Donation.payment_ref == event.payment_ref)):
        return
    donation = db.session.scalar(
        select(Donation).where(Donation.pledge_id == pledge.id, Donation.payment_ref.is_(None),
                               Donation.status == DonationStatus.PENDING)
        .order_by(Donation.id).limit(1).with_for_update())
    if donation is None:
        charged = event.amount.minor
        fee = pledge.fee_minor if charged == pledge.charged_minor else 0
        donation = Donation(kind="installment", status=DonationStatus.PENDING,
                            currency=event.amount.currency,
                            amount_minor=charged - fee, fee_minor=fee, charged_minor=charged,
                            provider=pledge.provider, pledge=pledge, source=pledge.source,
                            locale=_language_of(pledge))
        db.session.add(donation)
    donation.payment_ref = event.payment_ref
    donation.donor = donation.donor or pledge.donor
    _move_donation(donation, Action.PAYMENT_SUCCEEDED, event_id)


def _attach_donor(donation: Donation, event: LedgerEvent) -> None:
    email = _provider_email(event.email)
    if donation.donor_id is None and email:
        donation.donor = _donor_for(email, event.name, donation.locale)
        if donation.pledge and donation.pledge.donor_id is None:
            donation.pledge.donor = donation.donor


def _language_of(pledge: Pledge) -> str:
    """The language the reader chose the pledge in (its first donation's): every month's
    receipt speaks it."""
    first = db.session.scalar(select(Donation.locale).where(Donation.pledge_id == pledge.id)
                              .order_by(Donation.id).limit(1))
    return first or "en"


def _provider_email(email: str | None) -> str | None:
    """A provider's address for the donor, if it is one (it goes into mail headers)."""
    try:
        return read_email(email) if email else None
    except ValueError:
        return None


def _find_donation(event: LedgerEvent, provider: str) -> Donation | None:
    return _find_first(Donation, provider, [(Donation.public_id, event.donation_ref),
                                            (Donation.checkout_ref, event.checkout_ref),
                                            (Donation.payment_ref, event.payment_ref)])


def _find_pledge(event: LedgerEvent, provider: str) -> Pledge | None:
    return _find_first(Pledge, provider, [(Pledge.public_id, event.pledge_ref),
                                          (Pledge.provider_ref, event.subscription_ref)])


def _find_first(model, provider: str, references: list):
    """The row of `provider` matching the first given reference, locked for update (with its
    donor, whom the notices address); donations a batch locked up front are taken from there."""
    at_hand = db.session.info.get(AT_HAND, {}) if model is Donation else {}
    for column, value in references:
        if value:
            found = at_hand.get((provider, column.key, value)) or db.session.scalar(
                select(model).where(column == value, model.provider == provider)
                .options(joinedload(model.donor)).with_for_update(of=model))
            if found is not None:
                return found
    return None


def _locked(model, row_id: int):
    return db.session.get(model, row_id, with_for_update=True, populate_existing=True)


def _refs(event: LedgerEvent) -> str:
    refs = {"donation": event.donation_ref, "checkout": event.checkout_ref,
            "payment": event.payment_ref, "pledge": event.pledge_ref,
            "subscription": event.subscription_ref}
    return ", ".join(f"{k}={v}" for k, v in refs.items() if v) or "no reference"
