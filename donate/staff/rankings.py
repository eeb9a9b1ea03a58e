"""Top source pages and top donors: which articles and which people raised the most money."""

from dataclasses import dataclass

from sqlalchemy import func, select

from donate.extensions import db
from donate.ledger.daily import DonationDay
from donate.ledger.models import Donation, Donor
from donate.ledger.tallies import COUNTED
from donate.money import Money
from donate.staff.donor_ranking import top_donors_of
from donate.staff.reports import NET, Window


@dataclass(frozen=True)
class Ranked:
    rank: int
    key: str | int  #: the source page's URL, or the donor's id
    label: str  #: what to show: the URL, or the donor's email
    gifts: int
    total: Money


def _ranked(column, window: Window, limit: int) -> list:
    """Per currency, the `limit` values of `column` with the most money counted in the window.

    Money in different currencies cannot be compared, so each currency has its own ranking.
    One query ranks them all: a query per currency would scan the window once each.
    """
    total = func.sum(NET)
    grouped = (select(column.label("key"), Donation.currency, total.label("total"),
                      func.count().label("gifts"),
                      func.row_number().over(partition_by=Donation.currency,
                                             order_by=(total.desc(), column)).label("rank"))
               .where(Donation.status.in_(COUNTED), window.holds(Donation.completed_at),
                      column.is_not(None))
               .group_by(column, Donation.currency).subquery())
    return db.session.execute(select(grouped).where(grouped.c.rank <= limit)
                              .order_by(grouped.c.currency, grouped.c.rank)).all()


def top_sources(window: Window, limit: int = 10) -> dict[str, list[Ranked]]:
    rows = _ranked(Donation.source, window, limit)
    return _by_currency((row.currency, row.key, row.key, row.gifts, row.total)
                        for row in rows)


#: Up to this many gifts in a currency in the range, summing them all is about as quick as
#: reading donors by their yearly totals (measured at a million donations, bench/RESULTS.md).
SUMMED_UP_TO = 80_000


def top_donors(window: Window, limit: int = 10) -> dict[str, list[Ranked]]:
    """Short ranges are summed; long ones are bounded by yearly totals (donor_ranking.py)."""
    rows = []
    for currency, gifts in _gifts_per_currency(window):
        top = top_donors_of(window, currency, limit) if gifts > SUMMED_UP_TO else None
        if top is None:
            top = _donors_summed(window, currency, limit)
        rows += [(currency, donor_id, total, gifts) for donor_id, total, gifts in top]
    # The few emails are read afterwards: joined in the ranking query, PostgreSQL would hash
    # every donor to find them.
    emails = dict(db.session.execute(select(Donor.id, Donor.email).where(
        Donor.id.in_({donor_id for _, donor_id, _, _ in rows}))).all())
    return _by_currency((currency, donor_id, emails[donor_id], gifts, total)
                        for currency, donor_id, total, gifts in rows)


def _donors_summed(window: Window, currency: str, limit: int) -> list[tuple]:
    """(donor id, total, gifts) of the `limit` top donors of the window in `currency`, by
    summing its donations (then a top-N sort, not a rank of every donor)."""
    total = func.sum(NET)
    return [(donor_id, int(money), gifts) for donor_id, money, gifts in db.session.execute(
        select(Donation.donor_id, total, func.count())
        .where(Donation.status.in_(COUNTED), window.holds(Donation.completed_at),
               Donation.currency == currency, Donation.donor_id.is_not(None))
        .group_by(Donation.donor_id).order_by(total.desc(), Donation.donor_id).limit(limit))]


def _gifts_per_currency(window: Window) -> list[tuple[str, int]]:
    """Each currency with donations counted in the window, and how many (the daily tally)."""
    gifts = func.sum(DonationDay.gifts)
    return [(currency, int(count)) for currency, count in db.session.execute(
        select(DonationDay.currency, gifts)
        .where(DonationDay.day >= window.start.date(), DonationDay.day < window.end.date())
        .group_by(DonationDay.currency).having(gifts > 0).order_by(DonationDay.currency))]


def _by_currency(rows) -> dict[str, list[Ranked]]:
    """(currency, key, label, gifts, total) in rank order -> each currency's Ranked list."""
    result: dict[str, list[Ranked]] = {}
    for currency, key, label, gifts, total in rows:
        ranked = result.setdefault(currency, [])
        ranked.append(Ranked(len(ranked) + 1, key, label, gifts, Money(int(total), currency)))
    return result
