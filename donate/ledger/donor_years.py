"""A donor's money per calendar year: the tally that bounds the dashboard's top donors.

Ranking donors over a long range exactly means summing most donations per donor (hundreds of
thousands of groups at a million donations). No donor can have given more in a range than in
the calendar years it touches, so the ranking reads donors in order of these yearly sums and
stops once nobody left could reach the top (donate/staff/donor_ranking.py).
"""

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, cast, extract, func, select
from sqlalchemy.orm import Mapped, mapped_column

from donate.extensions import db
from donate.ledger.models import Donation
from donate.ledger.tallies import COUNTED, Contribution, Snapshot, Tally


class DonorYear(db.Model):
    """What one donor's counted donations in one currency brought in in one year."""

    #: the donor (no foreign key: this is derived data, rebuilt from donations at will)
    donor_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  #: UTC, completed
    net_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    gifts: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        # The biggest givers of a year in a currency, read from the top down.
        Index("ix_donor_year_ranking", "year", "currency", "net_minor", "donor_id"),
    )


def sums_of(donation: Snapshot) -> Contribution | None:
    if not donation.counted or donation.donor_id is None:
        return None
    key = (donation.donor_id, donation.currency, donation.completed_at.year)
    return key, {"net_minor": donation.net_minor, "gifts": 1}


def recount(start: datetime, end: datetime):
    # cast: PostgreSQL's extract() is a numeric
    key = (Donation.donor_id, Donation.currency,
           cast(extract("year", Donation.completed_at), Integer))
    return (select(*key, func.sum(Donation.charged_minor - Donation.refunded_minor),
                   func.count())
            .where(Donation.status.in_(COUNTED), Donation.donor_id.is_not(None),
                   Donation.completed_at >= start, Donation.completed_at < end)
            .group_by(*key))


DONOR_YEARS = Tally(DonorYear, ("donor_id", "currency", "year"), ("net_minor", "gifts"),
                    sums_of, recount)
