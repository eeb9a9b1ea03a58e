"""OutboxMessage: one email, from the moment its cause commits until it is sent (or dead)."""

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from donate.extensions import db
from donate.ledger.models import utcnow


class OutboxStatus:
    PENDING = "pending"  #: waiting to be sent (now, or at next_attempt_at after a failure)
    SENDING = "sending"  #: claimed by a worker until claimed_until; reclaimed after that
    SENT = "sent"
    KEPT = "kept"  #: no MAIL_SERVER: kept for the dev mailbox instead of sent
    DEAD = "dead"  #: gave up after MAX_ATTEMPTS; staff can retry it


class OutboxMessage(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: what makes this message unique, e.g. "receipt:<donation id>"; a second enqueue is a no-op
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    #: the kind of message (receipt, newsletter_confirmation, ...), for staff and tests
    kind: Mapped[str] = mapped_column(String(50))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    #: extra headers such as List-Unsubscribe, as {name: value}
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)
