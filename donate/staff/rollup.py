"""Money per day: one SQL aggregate that the dashboard's totals, setbacks and charts add up.

One GROUP BY over the span the dashboard shows (about 13 months) replaces a scan per figure:
the answer has a row per day, currency and kind (a few thousand at most), never a row per
donation, and every range's totals, refunds and disputes, the daily and monthly charts and
recurring revenue are sums of those rows.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select

from donate.extensions import db
from donate.ledger.models import Donation
from donate.ledger.states import SETTLED, DonationStatus
from donate.money import Money
from donate.staff.reports import COUNTED, NET, Setbacks, Totals, Window, dispute_outcomes
from donate.staff.sql import as_date, day_of


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


def _sum(condition, value):
    return func.coalesce(func.sum(case((condition, value))), 0)


class Rollup:
    def __init__(self, days: list[DayTotal]) -> None:
        self.days = days
        self.currencies = sorted({day.currency for day in days})

    @classmethod
    def of(cls, span: Window) -> "Rollup":
        """Settled donations that completed in `span`, per day, currency and kind."""
        day = day_of(Donation.completed_at)
        counted = Donation.status.in_(COUNTED)
        disputed = Donation.status == DonationStatus.DISPUTED
        rows = db.session.execute(
            select(day, Donation.currency, Donation.kind,
                   _sum(counted, NET), func.count(case((counted, 1))),
                   func.sum(Donation.refunded_minor),
                   func.count(case((Donation.refunded_minor > 0, 1))),
                   _sum(disputed, Donation.charged_minor), func.count(case((disputed, 1))))
            .where(Donation.status.in_(SETTLED), span.holds(Donation.completed_at))
            .group_by(day, Donation.currency, Donation.kind))
        return cls([DayTotal(as_date(day), currency, kind == "installment", *map(int, sums))
                    for day, currency, kind, *sums in rows])

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
