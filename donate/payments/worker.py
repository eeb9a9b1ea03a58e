"""The events worker: apply stored provider events in batches, off the webhook's path.

With APPLY_EVENTS_IN_WORKER the webhook endpoint only verifies and stores a delivery and
answers; this worker applies what is stored, up to BATCH events per transaction (one commit,
and the receipt-number lock taken once, instead of one of each per event). The batch's rows
are claimed FOR UPDATE SKIP LOCKED in that same transaction, so a second worker takes other
events and a worker that dies mid-batch leaves them to be claimed again, applied by no one.

Without the setting the endpoint applies each delivery itself, and the worker only picks up
what it left (a crash or an outage between storing and applying) once it is INLINE_GRACE old.
"""

import logging
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from donate.extensions import db
from donate.ledger import service as ledger
from donate.ledger.models import ProviderEvent, utcnow
from donate.payments.registry import enabled_providers

log = logging.getLogger("donate.events")
BATCH = 100
INLINE_GRACE = timedelta(seconds=30)
#: An event that failed on its own (not a refusal the ledger records) waits this long.
RETRY_FAILED_AFTER = 60.0


def translate(row: ProviderEvent):
    return enabled_providers()[row.provider].translate(row)


def claim_batch(skip: set[int], limit: int = BATCH) -> list[tuple[int, str]]:
    """Lock up to `limit` stored, unapplied events in a new transaction: (id, provider)."""
    query = (select(ProviderEvent.id, ProviderEvent.provider)
             .where(ProviderEvent.processed_at.is_(None), ProviderEvent.error.is_(None),
                    ProviderEvent.provider.in_(list(enabled_providers())))
             .order_by(ProviderEvent.id).limit(limit).with_for_update(skip_locked=True))
    if not current_app.config["APPLY_EVENTS_IN_WORKER"]:
        query = query.where(ProviderEvent.received_at < utcnow() - INLINE_GRACE)
    if skip:
        query = query.where(ProviderEvent.id.not_in(skip))
    return [tuple(row) for row in db.session.execute(query)]


def apply_batch(failing: dict[int, float]) -> int:
    """Apply one batch; return how many events it took (0: nothing to do)."""
    now = time.monotonic()
    for row_id, until in list(failing.items()):
        if until < now:
            del failing[row_id]
    claimed = claim_batch(set(failing))
    if not claimed:
        db.session.rollback()
        return 0
    ids = [row_id for row_id, _ in claimed]
    try:
        ledger.apply_provider_events(ids, translate)
    except Exception:
        db.session.rollback()
        log.exception("event batch rolled back; applying its events one by one")
        _apply_one_by_one(ids, failing)
    for provider in {provider for _, provider in claimed}:  # earlier events may apply now
        ledger.retry_deferred(provider, enabled_providers()[provider].translate)
    log.info("events applied", extra={"events": len(ids)})
    return len(ids)


def _apply_one_by_one(ids: list[int], failing: dict[int, float]) -> None:
    for row_id in ids:
        try:
            ledger.apply_provider_event(row_id, translate)
        except Exception:
            db.session.rollback()
            failing[row_id] = time.monotonic() + RETRY_FAILED_AFTER
            log.exception("event not applied; tried again later", extra={"event_row": row_id})


def work(once: bool = False, poll_seconds: float = 0.5, should_stop=lambda: False) -> int:
    """Apply stored events; with `once`, stop when none is left, else poll until told to stop.

    Returns how many events it took (some may have been refused or deferred by the ledger)."""
    taken, failing = 0, {}
    while not should_stop():
        try:
            batch = apply_batch(failing)
        except SQLAlchemyError:  # the database went away: wait, and try again
            db.session.rollback()
            if once:
                raise
            log.exception("events worker could not reach the database")
            batch = 0
        taken += batch
        if not batch:
            if once:
                break
            time.sleep(poll_seconds)
    return taken
