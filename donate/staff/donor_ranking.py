"""Top donors of a range without summing every donor's donations in it.

Over a year, an exact GROUP BY donor adds up most donations into hundreds of thousands of
groups to keep ten. Instead, per currency: read donors in order of their yearly totals
(donor_year, kept by the ledger) for each calendar year the range touches, a batch at a time,
and sum the range's donations of just those donors (through the donor index). A donor not read
yet gave at most the sum, over those years, of the smallest yearly total read so far: once the
tenth best range total is above that, nobody left can reach the top ten, and the answer is the
exact one (the threshold algorithm of Fagin, Lotem and Naor).

The bound is loose when the range is a small part of its years (a week, last March), and then
this could read many donors; after MOST_DONORS it gives up and the caller sums the range.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select, tuple_

from donate.extensions import db
from donate.ledger.donor_years import DonorYear
from donate.ledger.models import Donation
from donate.ledger.tallies import COUNTED
from donate.staff.reports import NET, Window

BATCH = 250
MOST_DONORS = 5000


@dataclass
class YearList:
    """One year's donors of one currency, biggest first, read a batch at a time."""

    year: int
    currency: str
    after: tuple | None = None  #: (net_minor, donor_id) of the last donor read
    exhausted: bool = False

    @property
    def bound(self) -> int:
        """The most any donor not read yet from this list gave in its year (after a batch)."""
        return 0 if self.exhausted else self.after[0]

    def next_batch(self) -> list[int]:
        query = (select(DonorYear.net_minor, DonorYear.donor_id)
                 .where(DonorYear.year == self.year, DonorYear.currency == self.currency)
                 .order_by(DonorYear.net_minor.desc(), DonorYear.donor_id.desc()).limit(BATCH))
        if self.after:
            query = query.where(tuple_(DonorYear.net_minor, DonorYear.donor_id) < self.after)
        rows = db.session.execute(query).all()
        self.exhausted = len(rows) < BATCH
        if rows:
            self.after = tuple(rows[-1])
        return [donor_id for _, donor_id in rows]


@dataclass
class Candidates:
    """Donors read so far, with what each gave in the range (those who gave in it)."""

    window: Window
    currency: str
    totals: dict[int, tuple[int, int]] = field(default_factory=dict)  #: id -> (total, gifts)
    read: set[int] = field(default_factory=set)

    def add(self, donor_ids: set[int]) -> None:
        """Sum the range's donations of the donors not read before (by the donor index)."""
        fresh = donor_ids - self.read
        self.read |= fresh
        if not fresh:
            return
        rows = db.session.execute(
            select(Donation.donor_id, func.sum(NET), func.count())
            .where(Donation.donor_id.in_(fresh), Donation.currency == self.currency,
                   Donation.status.in_(COUNTED), self.window.holds(Donation.completed_at))
            .group_by(Donation.donor_id))
        self.totals.update((donor_id, (int(total), gifts)) for donor_id, total, gifts in rows)

    def best(self, limit: int) -> list[tuple[int, int, int]]:
        """(donor id, total, gifts) of the `limit` best, by total, then lowest id."""
        ranked = sorted(self.totals.items(), key=lambda item: (-item[1][0], item[0]))
        return [(donor_id, total, gifts) for donor_id, (total, gifts) in ranked[:limit]]


def top_donors_of(window: Window, currency: str, limit: int) -> list[tuple] | None:
    """(donor id, total, gifts) of the range's `limit` top donors in `currency`; None when it
    would take reading more than MOST_DONORS donors to be sure."""
    last_year = (window.end - timedelta(days=1)).year
    lists = [YearList(year, currency) for year in range(window.start.year, last_year + 1)]
    candidates = Candidates(window, currency)
    while len(candidates.read) < MOST_DONORS:
        for year_list in lists:
            if not year_list.exhausted:
                candidates.add(set(year_list.next_batch()))
        best = candidates.best(limit)
        if all(year_list.exhausted for year_list in lists):
            return best
        if len(best) == limit and best[-1][1] > sum(year_list.bound for year_list in lists):
            return best
    return None
