"""Top source pages and top donors: which articles and which people raised the most money."""

from dataclasses import dataclass

from sqlalchemy import func, select

from donate.extensions import db
from donate.ledger.models import Donation, Donor
from donate.ledger.tallies import COUNTED
from donate.money import Money
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


def top_donors(window: Window, limit: int = 10) -> dict[str, list[Ranked]]:
    rows = _ranked(Donation.donor_id, window, limit)
    # The few emails are read afterwards: joined in the ranking query, PostgreSQL would hash
    # every donor to find them.
    emails = dict(db.session.execute(select(Donor.id, Donor.email).where(
        Donor.id.in_({row.key for row in rows}))).all())
    return _by_currency((row.currency, row.key, emails[row.key], row.gifts, row.total)
                        for row in rows)


def _by_currency(rows) -> dict[str, list[Ranked]]:
    """(currency, key, label, gifts, total) in rank order -> each currency's Ranked list."""
    result: dict[str, list[Ranked]] = {}
    for currency, key, label, gifts, total in rows:
        ranked = result.setdefault(currency, [])
        ranked.append(Ranked(len(ranked) + 1, key, label, gifts, Money(int(total), currency)))
    return result
