"""enqueue(): add an email to the caller's transaction, once per dedupe key."""

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from donate.extensions import db
from donate.outbox.models import OutboxMessage

log = logging.getLogger("donate.outbox")


def enqueue(*, kind: str, dedupe_key: str, to: str, subject: str, text: str,
            html: str | None = None, headers: dict | None = None) -> OutboxMessage | None:
    """Add a message to the current transaction; None if one with this key exists already.

    The caller commits: the message exists exactly when the change that caused it does.
    """
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return None
    message = OutboxMessage(kind=kind, dedupe_key=dedupe_key, to_address=to, subject=subject,
                            body_text=text, body_html=html, headers=headers or {})
    try:
        with db.session.begin_nested():  # a concurrent twin may win; keep the caller's work
            db.session.add(message)
    except IntegrityError:
        return None
    log.info("email enqueued", extra={"kind": kind, "outbox_id": message.id})
    return message
