"""Top source pages and top donors: which articles and which people raised the most money."""

from dataclasses import dataclass

from sqlalchemy import func, select

from donate.extensions import db
from donate.ledger.models import Donation, Donor
from donate.money import Money
from donate.staff.reports import COUNTED, NET, Window


@dataclass(frozen=True)
class Ranked:
    rank: int
    key: str | int  #: the source page's URL, or the donor's id
    label: str  #: what to show: the URL, or the donor's email
    gifts: int
    total: Money


def _ranked_per_currency(column, window: Window, limit: int):
    """Per currency, the `limit` values of `column` with the most money counted in the window.

    Money in different currencies cannot be compared, so each currency has its own ranking.
    """
    total = func.sum(NET)
    grouped = (select(column.label("key"), Donation.currency, total.label("total"),
                      func.count().label("gifts"),
                      func.row_number().over(partition_by=Donation.currency,
                                             order_by=(total.desc(), column)).label("rank"))
               .where(Donation.status.in_(COUNTED), window.holds(Donation.completed_at),
                      column.is_not(None))
               .group_by(column, Donation.currency).subquery())
    return grouped, select(grouped).where(grouped.c.rank <= limit)


def top_sources(window: Window, limit: int = 10) -> dict[str, list[Ranked]]:
    _, query = _ranked_per_currency(Donation.source, window, limit)
    rows = db.session.execute(query.order_by("currency", "rank"))
    return _by_currency((row.currency, Ranked(row.rank, row.key, row.key, row.gifts,
                                              Money(int(row.total), row.currency)))
                        for row in rows)


def top_donors(window: Window, limit: int = 10) -> dict[str, list[Ranked]]:
    grouped, query = _ranked_per_currency(Donation.donor_id, window, limit)
    rows = db.session.execute(query.add_columns(Donor.email)
                              .join(Donor, Donor.id == grouped.c.key)
                              .order_by(grouped.c.currency, grouped.c.rank))
    return _by_currency((row.currency, Ranked(row.rank, row.key, row.email, row.gifts,
                                              Money(int(row.total), row.currency)))
                        for row in rows)


def _by_currency(pairs) -> dict[str, list[Ranked]]:
    result: dict[str, list[Ranked]] = {}
    for currency, ranked in pairs:
        result.setdefault(currency, []).append(ranked)
    return result
