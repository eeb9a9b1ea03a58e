"""enqueue(): add an email to the caller's transaction, once per dedupe key."""

import logging

from sqlalchemy.dialects import postgresql, sqlite

from donate.extensions import db
from donate.outbox.models import OutboxMessage

log = logging.getLogger("donate.outbox")


def enqueue(*, kind: str, dedupe_key: str, to: str, subject: str, text: str,
            html: str | None = None, headers: dict | None = None) -> OutboxMessage | None:
    """Add a message to the current transaction; None if one with this key exists already.

    The caller commits: the message exists exactly when the change that caused it does.
    One statement (INSERT ... ON CONFLICT DO NOTHING): an existing or concurrent twin wins
    without disturbing the caller's transaction, and it is cheap inside the ledger's locks.
    """
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    message = db.session.scalar(
        dialect.insert(OutboxMessage)
        .values(kind=kind, dedupe_key=dedupe_key, to_address=to, subject=subject,
                body_text=text, body_html=html, headers=headers or {})
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage))
    if message is None:
        return None
    log.info("email enqueued", extra={"kind": kind, "outbox_id": message.id})
    return message
