"""Money per day: the tally the dashboard's totals, setbacks and charts add up.

A row sums the settled donations that completed on one UTC day, in one currency and of one
kind (one-time or monthly). Why slots: the completions of one busy day would otherwise all
update one row per currency and kind, each holding its lock until commit, one after the other.
A donation always lands in slot `id % SLOTS`, so each change touches one row; readers add up
the slots.
"""

from datetime import date, datetime

from sqlalchemy import BigInteger, Integer, String, case, func, select
from sqlalchemy.orm import Mapped, mapped_column

from donate.extensions import db
from donate.ledger.models import Donation
from donate.ledger.states import SETTLED, DonationStatus
from donate.ledger.tallies import COUNTED, Contribution, Snapshot, Tally

SLOTS = 8


class DonationDay(db.Model):
    """Sums over the settled donations of one day, currency, kind and slot."""

    day: Mapped[date] = mapped_column(primary_key=True)  #: the UTC day they completed
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    #: pledge installments, or else one-time gifts
    monthly: Mapped[bool] = mapped_column(primary_key=True)
    #: donation id % SLOTS: spreads one day's writers over several rows
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: what counted donations brought in (see donate.staff.reports.DEFINITION), and how many
    net_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    gifts: Mapped[int] = mapped_column(default=0)
    #: refunded, fully or partly (lost disputes included), and by how many donations
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    refunds: Mapped[int] = mapped_column(default=0)
    #: charged by the donations in an open dispute, and how many they are
    disputed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    disputes: Mapped[int] = mapped_column(default=0)


SUMS = ("net_minor", "gifts", "refunded_minor", "refunds", "disputed_minor", "disputes")


def sums_of(donation: Snapshot) -> Contribution | None:
    if not donation.settled:
        return None
    disputed = donation.status == DonationStatus.DISPUTED
    key = (donation.completed_at.date(), donation.currency, donation.kind == "installment",
           donation.id % SLOTS)
    return key, {"net_minor": donation.net_minor, "gifts": int(donation.counted),
                 "refunded_minor": donation.refunded_minor,
                 "refunds": int(donation.refunded_minor > 0),
                 "disputed_minor": donation.charged_minor if disputed else 0,
                 "disputes": int(disputed)}


def recount(start: datetime, end: datetime):
    counted = Donation.status.in_(COUNTED)
    disputed = Donation.status == DonationStatus.DISPUTED
    # date() is a function on both databases; on SQLite it gives 'YYYY-MM-DD', the text
    # SQLAlchemy keeps SQLite dates as.
    key = (func.date(Donation.completed_at), Donation.currency, Donation.kind == "installment",
           Donation.id % SLOTS)
    return (select(*key,
                   func.sum(case((counted, Donation.charged_minor - Donation.refunded_minor),
                                 else_=0)),
                   func.count(case((counted, 1))),
                   func.sum(Donation.refunded_minor),
                   func.count(case((Donation.refunded_minor > 0, 1))),
                   func.sum(case((disputed, Donation.charged_minor), else_=0)),
                   func.count(case((disputed, 1))))
            .where(Donation.status.in_(SETTLED), Donation.completed_at >= start,
                   Donation.completed_at < end)
            .group_by(*key))


DAILY = Tally(DonationDay, ("day", "currency", "monthly", "slot"), SUMS, sums_of, recount)
