"""Staff accounts, the audit log of what they did, and the indexes the staff reports read by."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from donate.extensions import db
from donate.ledger.models import Donation, Donor, utcnow
from donate.outbox.models import OutboxMessage


class Role:
    ADMIN = "admin"  #: refunds, retries of dead emails, staff management; and all a viewer does
    VIEWER = "viewer"  #: reads reports and exports, changes nothing

    ALL = (ADMIN, VIEWER)


class StaffUser(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: lower-cased sign-in address
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: werkzeug's scrypt hash ("scrypt:32768:8:1$salt$hash"); never the password itself
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default=Role.VIEWER)
    #: a disabled account cannot sign in, and its open sessions stop working
    active: Mapped[bool] = mapped_column(default=True)
    #: wrong passwords in a row; reaching STAFF_LOCKOUT_AFTER sets locked_until
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to sign in an inactive user
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class StaffAuditEntry(db.Model):
    """One staff action, written in the same transaction as the action itself."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: who; None for the command line (`flask staff create`)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    #: what, as a verb: "login", "refund_requested", "outbox_retry", "export", ...
    action: Mapped[str] = mapped_column(String(50))
    #: what it was done to: "donation:<public id>", "staff_user:<id>", "donations.csv"
    target: Mapped[str | None] = mapped_column(String(255))
    #: the particulars: amounts, old and new role, the export's filters, the outcome
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    staff_user: Mapped[StaffUser | None] = relationship()

    __table_args__ = (Index("ix_staff_audit_entry_staff_user_id", "staff_user_id"),)


# Indexes on other features' tables that only the staff reports need; they are declared here so
# that the tables' metadata (and so `flask db migrate`) know them. See migration 0005.
REPORT_INDEXES = (
    # Top donors of a short range (and the donors of a year's giving summaries): a range of
    # completion times, every column the ranking reads, so PostgreSQL answers from the index
    # alone. (The dashboard's totals and charts read the daily tally, donate/ledger/daily.py.)
    Index("ix_donation_rankings", Donation.completed_at, Donation.status, Donation.currency,
          Donation.donor_id, Donation.charged_minor, Donation.refunded_minor),
    # The donations list and CSV export, newest first with keyset pagination.
    Index("ix_donation_created_at_id", Donation.created_at, Donation.id),
    Index("ix_donation_source_created_at", Donation.source, Donation.created_at),
    Index("ix_donation_provider_created_at", Donation.provider, Donation.created_at),
    # Setbacks on the dashboard: the few donations that ever had a dispute.
    Index("ix_donation_dispute_outcome", Donation.dispute_outcome,
          postgresql_where=Donation.dispute_outcome.is_not(None),
          sqlite_where=Donation.dispute_outcome.is_not(None)),
    Index("ix_donor_created_at_id", Donor.created_at, Donor.id),
    # The donor page's receipts: outbox rows sent to one address.
    Index("ix_outbox_message_to_address_kind", OutboxMessage.to_address, OutboxMessage.kind),
)
