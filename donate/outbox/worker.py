"""The outbox worker: claim due messages, send them, back off on failure, give up in the end.

Claims are leases: a worker that dies mid-batch leaves rows 'sending' until claimed_until,
after which any worker takes them again, so nothing is lost (a message may, rarely, go twice;
its stable Message-ID lets mail clients fold the copies). On PostgreSQL the claim skips rows
another worker holds (FOR UPDATE SKIP LOCKED), so several workers never send the same row.
"""

import logging
import smtplib
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_mail import BadHeaderError
from sqlalchemy import bindparam, or_, select, update

from donate.extensions import db
from donate.ledger.models import utcnow
from donate.outbox.models import OutboxMessage, OutboxStatus
from donate.outbox.smtp import as_mail, open_connection

log = logging.getLogger("donate.outbox")
MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)
BATCH = 50


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... up to an hour between tries."""
    return min(timedelta(seconds=30 * 2 ** (attempts - 1)), timedelta(hours=1))


def _due(now):
    return or_(
        (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.claimed_until < now))


def claim_batch(limit: int = BATCH) -> list[int]:
    """Lease up to `limit` due messages to this worker; return their ids."""
    now = utcnow()
    candidates = db.session.scalars(
        select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.id).limit(limit)
        .with_for_update(skip_locked=True)).all()
    if not candidates:
        db.session.rollback()
        return []
    # The condition is checked again in the UPDATE: where SKIP LOCKED is not available
    # (SQLite) a row another worker claimed meanwhile is simply not ours.
    claimed = db.session.scalars(
        update(OutboxMessage).where(OutboxMessage.id.in_(candidates), _due(now))
        .values(status=OutboxStatus.SENDING, claimed_until=now + LEASE)
        .returning(OutboxMessage.id)).all()
    db.session.commit()
    return sorted(claimed)


@dataclass
class Tally:
    sent: int = 0
    kept: int = 0
    failed: int = 0

    def __iadd__(self, other: "Tally") -> "Tally":
        self.sent, self.kept, self.failed = (self.sent + other.sent, self.kept + other.kept,
                                             self.failed + other.failed)
        return self


def deliver(ids: list[int]) -> Tally:
    """Send claimed messages over one SMTP connection, settling each one as it goes."""
    tally = Tally()
    pending = _messages(ids)
    if not current_app.config["MAIL_SERVER"]:
        for message in pending:
            _settle(message, OutboxStatus.KEPT)
            tally.kept += 1
        return tally
    try:
        with open_connection() as connection:
            while pending:
                message = pending[0]
                try:
                    connection.send(as_mail(message, current_app.config["MAIL_DEFAULT_SENDER"]))
                except (smtplib.SMTPRecipientsRefused, BadHeaderError, ValueError) as refused:
                    _fail(message, refused, permanent=True)  # this message, not the server
                    tally.failed += 1
                else:
                    _settle(message, OutboxStatus.SENT)
                    tally.sent += 1
                pending.pop(0)
    except (smtplib.SMTPException, OSError) as down:
        for message in pending:  # the server went away: the rest wait and retry
            _fail(message, down)
            tally.failed += 1
    return tally


def _messages(ids: list[int]) -> list[OutboxMessage]:
    """The claimed messages, read in one query and then let go of by the session: each is
    settled with an UPDATE of its own and a commit, which would otherwise expire every one of
    them and read each again (a round trip a message, for nothing)."""
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)).all()
    for message in messages:
        db.session.expunge(message)
    return list(messages)


#: _settle's UPDATE, built once and run as Core: it runs once a message, and the ORM's
#: bulk-update path cost more than the statement itself
_SETTLE = (update(OutboxMessage.__table__)
           .where(OutboxMessage.__table__.c.id == bindparam("message_id"))
           .values(status=bindparam("status"), sent_at=bindparam("sent_at"), claimed_until=None))


def _settle(message: OutboxMessage, status: str) -> None:
    message.status, message.sent_at = status, utcnow()
    db.session.connection().execute(_SETTLE, {"message_id": message.id, "status": status,
                                              "sent_at": message.sent_at})
    db.session.commit()  # one commit per message: a crash re-sends at most the one in flight
    log.info("email delivered", extra={"outbox_id": message.id, "kind": message.kind,
                                       "status": status})


def _fail(message: OutboxMessage, error: Exception, permanent: bool = False) -> None:
    attempts = message.attempts + 1
    last_error = f"{type(error).__name__}: {error}"[:500]
    if permanent or attempts >= MAX_ATTEMPTS:
        _write(message, attempts=attempts, last_error=last_error, claimed_until=None,
               status=OutboxStatus.DEAD)
    else:
        _write(message, attempts=attempts, last_error=last_error, claimed_until=None,
               status=OutboxStatus.PENDING, next_attempt_at=utcnow() + backoff(attempts))
    db.session.commit()
    log.warning("email not delivered", extra={"outbox_id": message.id, "kind": message.kind,
                                              "attempts": attempts, "status": message.status,
                                              "error": last_error})


def _write(message: OutboxMessage, **values) -> None:
    """Set `values` on the row, and on the detached copy in hand for the log line."""
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id)
                       .values(**values))
    for name, value in values.items():
        setattr(message, name, value)


def work(once: bool = False, poll_seconds: float = 2.0, should_stop=lambda: False) -> Tally:
    """Send due messages; with `once`, stop when nothing is due, else poll until told to stop."""
    total = Tally()
    while not should_stop():
        ids = claim_batch()
        if ids:
            total += deliver(ids)
        elif once:
            break
        else:
            time.sleep(poll_seconds)
    return total


def retry(message: OutboxMessage) -> None:
    """Give a dead (or failing) message a fresh set of attempts, now."""
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    db.session.commit()
