"""Abuse rows: alerts raised to staff, and the sources staff have blocked."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from donate.extensions import db
from donate.ledger.models import utcnow


class AbuseAlert(db.Model):
    """Failed payments crossed a threshold; staff were told (once per scope and hour)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "network" (failures from one network) or "global" (failures from everywhere)
    kind: Mapped[str] = mapped_column(String(20))
    #: the network in CIDR notation, or "*" for a global alert
    scope: Mapped[str] = mapped_column(String(64))
    #: failed payments counted in the window when the alert was raised
    failures: Mapped[int]
    window_minutes: Mapped[int]
    #: "velocity:<kind>:<scope>:<UTC hour>": one alert (and one email) per scope per hour
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class BlockedSource(db.Model):
    """A network or an email address whose checkout requests are refused, until expires_at."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: a network in CIDR notation ("203.0.113.0/24", "2001:db8::/48"); or None for an email
    network: Mapped[str | None] = mapped_column(String(64))
    #: a normalised, lower-cased address; or None for a network
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    #: why, in staff's words (shown by `flask abuse list`)
    reason: Mapped[str] = mapped_column(String(500))
    #: who blocked it: a staff member's email or login name
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: when the block lapses; None blocks until someone unblocks
    expires_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("(network IS NULL) <> (email IS NULL)", name="network_or_email"),
        Index("ix_blocked_source_expires_at", "expires_at"),
    )

    @property
    def target(self) -> str:
        return self.network or self.email or ""
