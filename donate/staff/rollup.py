"""Money per day: the dashboard's totals, setbacks and charts, added up from the daily table.

The ledger keeps a row of sums per day, currency and kind (in a few slots) in donation_day
(donate/ledger/daily.py), in the same transaction as each donation's change. Reading the span
the dashboard shows (about 13 months) is a range of that table's primary key, summed over the
slots: a few thousand rows however many donations there are. Every range's totals, refunds
and disputes, the daily and monthly charts and recurring revenue are sums of those rows.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from donate.extensions import db
from donate.ledger.daily import SUMS, DonationDay
from donate.money import Money
from donate.staff.reports import Setbacks, Totals, Window, dispute_outcomes


@dataclass(frozen=True)
class DayTotal:
    """Donations of one currency and kind that completed on one day."""

    day: date
    currency: str
    monthly: bool  #: pledge installments, or else one-time gifts
    net_minor: int  #: money counted (see reports.DEFINITION)
    gifts: int  #: donations counted
    refunded_minor: int  #: refunded, fully or partly (lost disputes included)
    refunds: int
    disputed_minor: int  #: charged by donations in an open dispute
    disputes: int


@dataclass(frozen=True)
class Point:
    label: str  #: "2026-11-25", or "2026-11" for a month
    value: Money


class Rollup:
    def __init__(self, days: list[DayTotal]) -> None:
        self.days = days
        self.currencies = sorted({day.currency for day in days})

    @classmethod
    def of(cls, span: Window) -> "Rollup":
        """Settled donations that completed in `span`, per day, currency and kind."""
        key = (DonationDay.day, DonationDay.currency, DonationDay.monthly)
        rows = db.session.execute(
            select(*key, *(func.sum(DonationDay.__table__.c[name]) for name in SUMS))
            .where(DonationDay.day >= span.start.date(), DonationDay.day < span.end.date())
            .group_by(*key))
        return cls([DayTotal(day, currency, monthly, *map(int, sums))
                    for day, currency, monthly, *sums in rows])

    def _within(self, window: Window, currency: str):
        first, end = window.start.date(), window.end.date()
        return [day for day in self.days if day.currency == currency and first <= day.day < end]

    def totals(self, windows: list[Window]) -> dict[str, list[Totals]]:
        """Per currency with any settled donation, the totals of each window."""
        result = {}
        for currency in self.currencies:
            result[currency] = []
            for window in windows:
                days = self._within(window, currency)
                once = [day for day in days if not day.monthly]
                monthly = [day for day in days if day.monthly]
                result[currency].append(Totals(
                    window, currency, sum(day.net_minor for day in once),
                    sum(day.gifts for day in once), sum(day.net_minor for day in monthly),
                    sum(day.gifts for day in monthly)))
        return result

    def setbacks(self, window: Window) -> dict[str, Setbacks]:
        """Per currency with any, refunds and disputes of the window's donations (this also
        asks the database how closed disputes ended)."""
        outcomes = dispute_outcomes(window)
        result = {}
        for currency in self.currencies:
            days = self._within(window, currency)
            found = Setbacks(currency, sum(day.refunds for day in days),
                             sum(day.refunded_minor for day in days),
                             sum(day.disputes for day in days),
                             sum(day.disputed_minor for day in days),
                             outcomes.get((currency, "lost"), 0),
                             outcomes.get((currency, "won"), 0))
            if found.refunds or found.open_disputes or found.lost_disputes or found.won_disputes:
                result[currency] = found
        return result

    def per_day(self, window: Window) -> dict[str, list[Point]]:
        """Per currency with money in the window, each day's money; 0 on days without."""
        return self._points(window, date.isoformat)

    def per_month(self, window: Window, monthly_only: bool = False) -> dict[str, list[Point]]:
        """Per currency, each calendar month's money (only installments, if `monthly_only`)."""
        return self._points(window, lambda day: day.strftime("%Y-%m"), monthly_only)

    def _points(self, window: Window, label_of, monthly_only: bool = False):
        labels = list(dict.fromkeys(label_of(day) for day in window.days))
        result = {}
        for currency in self.currencies:
            days = [day for day in self._within(window, currency)
                    if day.gifts and (day.monthly or not monthly_only)]
            if days:
                sums = dict.fromkeys(labels, 0)
                for day in days:
                    sums[label_of(day.day)] += day.net_minor
                result[currency] = [Point(label, Money(sums[label], currency))
                                    for label in labels]
        return result
