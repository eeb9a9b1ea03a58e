"""The dashboard's definitions, ranges and figures.

Every figure is an SQL aggregate; no Python loop ever sees a donation row (rollup.py adds up
the money per day that the ledger tallies as it goes, donate/ledger/daily.py, for most figures;
pledge_reports.py and rankings.py have the rest).

Dates are UTC days. A donation counts on the day it completed (when the money came in), as in
the annual giving summaries. Amounts in different currencies are never added together.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from donate.extensions import db
from donate.ledger.models import Donation
from donate.money import Money

#: What a counted donation brought in: charged (chosen amount plus any fee the donor covered)
#: minus what was refunded so far.
NET = Donation.charged_minor - Donation.refunded_minor
DEFINITION = ("Money counted is what completed, partially refunded and disputed donations "
              "charged (including fees donors chose to cover), minus what has been refunded, "
              "on the UTC day each donation completed. Pending, failed, cancelled and fully "
              "refunded donations count nothing. Currencies are never added together.")


@dataclass(frozen=True)
class Window:
    """A range of whole UTC days, from `start` (inclusive) to `end` (exclusive)."""

    label: str
    start: datetime
    end: datetime

    @classmethod
    def of_days(cls, label: str, first: date, last: date) -> "Window":
        return cls(label, datetime.combine(first, time.min),
                   datetime.combine(last + timedelta(days=1), time.min))

    @property
    def days(self) -> list[date]:
        first = self.start.date()
        return [first + timedelta(days=n) for n in range((self.end - self.start).days)]

    def holds(self, column):
        return (column >= self.start) & (column < self.end)


def standard_windows(today: date) -> list[Window]:
    return [Window.of_days("Today", today, today),
            Window.of_days("Last 7 days", today - timedelta(days=6), today),
            Window.of_days("Last 30 days", today - timedelta(days=29), today),
            Window.of_days("This year", date(today.year, 1, 1), today)]


@dataclass(frozen=True)
class Totals:
    """Money counted in one window and one currency, split into one-time and monthly gifts."""

    window: Window
    currency: str
    one_time_minor: int
    one_time_gifts: int
    monthly_minor: int
    monthly_gifts: int

    @property
    def gifts(self) -> int:
        return self.one_time_gifts + self.monthly_gifts

    @property
    def net(self) -> Money:
        return Money(self.one_time_minor + self.monthly_minor, self.currency)

    @property
    def average(self) -> Money | None:
        """The mean gift, rounded half up to a whole minor unit."""
        if not self.gifts:
            return None
        return Money((2 * self.net.minor + self.gifts) // (2 * self.gifts), self.currency)

    @property
    def one_time(self) -> Money:
        return Money(self.one_time_minor, self.currency)

    @property
    def monthly(self) -> Money:
        return Money(self.monthly_minor, self.currency)


def span_of(windows: list[Window]) -> Window:
    """The smallest window holding all of `windows`."""
    return Window("span", min(window.start for window in windows),
                  max(window.end for window in windows))


@dataclass(frozen=True)
class Setbacks:
    """Refunds and disputes of the donations that completed in a window, in one currency."""

    currency: str
    refunds: int  #: donations with any money refunded (lost disputes included)
    refunded_minor: int
    open_disputes: int
    disputed_minor: int  #: what the open disputes charged
    lost_disputes: int = 0
    won_disputes: int = 0

    @property
    def refunded(self) -> Money:
        return Money(self.refunded_minor, self.currency)

    @property
    def disputed(self) -> Money:
        return Money(self.disputed_minor, self.currency)


def dispute_outcomes(window: Window) -> dict[tuple[str, str], int]:
    """(currency, "won" or "lost") -> disputes closed so, of donations completed in `window`.

    Read through the small partial index of donations that ever had a dispute.
    """
    return {(currency, outcome): count for currency, outcome, count in db.session.execute(
        select(Donation.currency, Donation.dispute_outcome, func.count())
        .where(Donation.dispute_outcome.in_(("won", "lost")),
               window.holds(Donation.completed_at))
        .group_by(Donation.currency, Donation.dispute_outcome))}
