"""enqueue(): add an email to the caller's transaction, once per dedupe key."""

import logging
from functools import cache

from donate.extensions import db, insert_for
from donate.outbox.models import OutboxMessage

log = logging.getLogger("donate.outbox")


@cache
def _insert_once(dialect_name: str):
    """The INSERT, built once (the values are bound per call): a burst of receipts builds it
    otherwise hundreds of times a second, which costs more than running it."""
    return (insert_for(dialect_name, OutboxMessage)
            .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(OutboxMessage.id))


def enqueue(*, kind: str, dedupe_key: str, to: str, subject: str, text: str,
            html: str | None = None, headers: dict | None = None) -> int | None:
    """Add a message to the current transaction: its id, or None if one with this key exists
    already.

    The caller commits: the message exists exactly when the change that caused it does.
    One statement (INSERT ... ON CONFLICT DO NOTHING): an existing or concurrent twin wins
    without disturbing the caller's transaction, and it is cheap inside the ledger's locks.
    """
    # Core on the session's connection: the message refers to no other row, so the caller's
    # pending changes need not be flushed before it (a burst of receipts goes out in one
    # flush at commit), and no ORM object is built (the ORM costs twice the statement).
    message_id = db.session.connection().execute(
        _insert_once(db.session.get_bind().dialect.name),
        {"kind": kind, "dedupe_key": dedupe_key, "to_address": to, "subject": subject,
         "body_text": text, "body_html": html, "headers": headers or {}}).scalar()
    if message_id is None:
        return None
    log.info("email enqueued", extra={"kind": kind, "outbox_id": message_id})
    return message_id
