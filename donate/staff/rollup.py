"""Money counted per day: one SQL aggregate that the dashboard's totals and charts add up.

One GROUP BY over the span the dashboard shows (about 13 months) replaces a scan per figure:
the answer has a row per day, currency and kind (a few thousand at most), never a row per
donation, and the totals of each range, the daily and monthly charts and recurring revenue are
all sums of those rows.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from donate.extensions import db
from donate.ledger.models import Donation
from donate.money import Money
from donate.staff.reports import COUNTED, NET, Totals, Window
from donate.staff.sql import as_date, day_of


@dataclass(frozen=True)
class DayTotal:
    day: date
    currency: str
    monthly: bool  #: a pledge's installment, or else a one-time gift
    net_minor: int
    gifts: int


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
        """Money counted in `span`, per day, currency and kind: one query, one scan."""
        day = day_of(Donation.completed_at)
        rows = db.session.execute(
            select(day, Donation.currency, Donation.kind, func.sum(NET), func.count())
            .where(Donation.status.in_(COUNTED), span.holds(Donation.completed_at))
            .group_by(day, Donation.currency, Donation.kind))
        return cls([DayTotal(as_date(day), currency, kind == "installment", int(net), gifts)
                    for day, currency, kind, net, gifts in rows])

    def _within(self, window: Window, currency: str):
        first, end = window.start.date(), window.end.date()
        return (day for day in self.days if day.currency == currency and first <= day.day < end)

    def totals(self, windows: list[Window]) -> dict[str, list[Totals]]:
        """Per currency, the totals of each window (windows inside the rollup's span)."""
        result = {}
        for currency in self.currencies:
            result[currency] = []
            for window in windows:
                sums = [0, 0, 0, 0]  # one-time money and gifts, monthly money and gifts
                for day in self._within(window, currency):
                    sums[2 * day.monthly] += day.net_minor
                    sums[2 * day.monthly + 1] += day.gifts
                result[currency].append(Totals(window, currency, *sums))
        return result

    def per_day(self, window: Window) -> dict[str, list[Point]]:
        """Per currency with money in the window, each day's money; 0 on days without."""
        return self._points(window, [day.isoformat() for day in window.days], date.isoformat)

    def per_month(self, window: Window, monthly_only: bool = False) -> dict[str, list[Point]]:
        """Per currency, each calendar month's money (only installments, if `monthly_only`)."""
        months = list(dict.fromkeys(day.strftime("%Y-%m") for day in window.days))
        return self._points(window, months, lambda day: day.strftime("%Y-%m"), monthly_only)

    def _points(self, window: Window, labels: list[str], label_of,
                monthly_only: bool = False) -> dict[str, list[Point]]:
        result = {}
        for currency in self.currencies:
            sums = dict.fromkeys(labels, 0)
            found = False
            for day in self._within(window, currency):
                if day.monthly or not monthly_only:
                    sums[label_of(day.day)] += day.net_minor
                    found = True
            if found:
                result[currency] = [Point(label, Money(sums[label], currency))
                                    for label in labels]
        return result
