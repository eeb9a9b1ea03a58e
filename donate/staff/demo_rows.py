"""Random but plausible demo rows: who gives, how much, how often, from which article.

Each function returns plain dicts for a bulk INSERT. Shapes follow what the ledger writes:
a settled donation has completed_at; a pledge's first installment is the checkout donation.
"""

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from typing import TYPE_CHECKING

from donate.money import FeeRule, gross_up

if TYPE_CHECKING:
    from donate.staff.seed import DonorPool

DAYS = 395  # about 13 months
FIRST = ("anna", "ben", "carla", "david", "elif", "farid", "grace", "hiro", "ines", "jonas",
         "kemi", "lena", "marco", "nadia", "omar", "paula", "quinn", "rosa", "sven", "tara")
LAST = ("lindqvist", "okafor", "garcia", "novak", "smith", "haddad", "kowalski", "tanaka",
        "moreau", "jensen", "rossi", "murphy", "schmidt", "silva", "nguyen", "khan")
SECTIONS = ("politics", "city", "climate", "business", "culture", "science", "investigations",
            "education", "health", "opinion")


class Weighted:
    """Values drawn with fixed weights (cumulative weights made once: a million draws)."""

    def __init__(self, pairs) -> None:
        pairs = list(pairs)
        self.values = [value for value, _ in pairs]
        self.cumulative = list(accumulate(weight for _, weight in pairs))

    def pick(self, rng: random.Random):
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


CURRENCIES = Weighted((("USD", 50), ("EUR", 35), ("GBP", 15)))
PROVIDERS = Weighted((("stripe", 60), ("paypal", 30), ("sandbox", 10)))
ONE_TIME_AMOUNTS = Weighted(((5, 10), (10, 22), (15, 8), (20, 12), (25, 18), (50, 14), (75, 3),
                             (100, 8), (250, 3), (500, 1), (1000, 1)))
MONTHLY_AMOUNTS = Weighted(((3, 10), (5, 30), (8, 10), (10, 28), (15, 8), (20, 8), (25, 4),
                            (50, 2)))
#: How one-time gifts end up; installments fail and get refunded less often.
ONE_TIME_STATUSES = Weighted((("completed", 860), ("pending", 30), ("failed", 40),
                              ("cancelled", 30), ("refunded", 18), ("partially_refunded", 12),
                              ("disputed", 5), ("dispute_won", 3), ("dispute_lost", 2)))
INSTALLMENT_STATUSES = Weighted((("completed", 985), ("refunded", 10), ("disputed", 5)))
PLEDGE_FATES = Weighted((("active", 70), ("cancelled", 22), ("past_due", 5), ("pending", 3)))
EVER_COMPLETED = {"completed", "refunded", "partially_refunded", "disputed"}


def articles(rng: random.Random, count: int = 400) -> Weighted:
    """Article URLs with Zipf-like weights: a few stories raise most of the money."""
    return Weighted((f"https://news.example.org/{rng.choice(SECTIONS)}/story-{number}",
                     1 / number ** 1.1) for number in range(1, count + 1))


@dataclass
class DemoRows:
    rng: random.Random
    now: datetime
    fees: dict[tuple[str, str], FeeRule]
    sources: Weighted
    tag: str = ""

    def moment(self) -> datetime:
        """A time in the past 13 months; a year ago half as many gave as now (the site grew)."""
        growth, u = 1.0, self.rng.random()  # density rises linearly from 1 to 1 + growth
        fraction = ((1 + 2 * growth * u * (1 + growth / 2)) ** 0.5 - 1) / growth
        return self.now - timedelta(days=DAYS) * (1 - fraction)

    def moment_after(self, start: datetime) -> datetime:
        return start + (self.now - start) * self.rng.random()

    def donor(self, number: int) -> dict:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        return {"email": f"{first}.{last}.{self.tag}{number}@example.org",
                "name": f"{first.title()} {last.title()}" if self.rng.random() < 0.9 else None,
                "created_at": self.moment()}

    def money(self, amounts: Weighted, provider: str, currency: str) -> dict:
        amount = amounts.pick(self.rng) * 100
        rule = self.fees.get((provider, currency))
        charged = gross_up(amount, rule) if rule and self.rng.random() < 0.35 else amount
        return {"currency": currency, "amount_minor": amount, "fee_minor": charged - amount,
                "charged_minor": charged}

    def source(self) -> str | None:
        if self.rng.random() < 0.08:
            return None  # the widget on a page that sent no usable address
        return self.sources.pick(self.rng)

    def donation(self, donor_id: int, created_at: datetime, outcome: str, money: dict,
                 provider: str, source: str | None, monthly: bool = False) -> dict:
        """A donation row; `outcome` is a status, or dispute_won / dispute_lost."""
        status = {"dispute_won": "completed", "dispute_lost": "refunded"}.get(outcome, outcome)
        refunded = {"refunded": money["charged_minor"], "dispute_lost": money["charged_minor"],
                    "partially_refunded": money["charged_minor"] // 2}.get(outcome, 0)
        settled = status in EVER_COMPLETED
        return {"public_id": secrets.token_urlsafe(16), "status": status,
                "kind": "installment" if monthly else "one_time",
                "refunded_minor": refunded, "provider": provider, "donor_id": donor_id,
                "source": source, "newsletter_opt_in": False, "pledge_id": None,
                "dispute_outcome": {"disputed": "open", "dispute_won": "won",
                                    "dispute_lost": "lost"}.get(outcome),
                "created_at": created_at, "updated_at": created_at,
                "completed_at": created_at + timedelta(seconds=self.rng.randint(20, 600))
                if settled else None, **money}

    def one_time_gift(self, donors: "DonorPool", moment: datetime) -> dict:
        provider, currency = PROVIDERS.pick(self.rng), CURRENCIES.pick(self.rng)
        donor_id, given_at = donors.known_at(moment, self.rng)
        return self.donation(donor_id, given_at, ONE_TIME_STATUSES.pick(self.rng),
                             self.money(ONE_TIME_AMOUNTS, provider, currency), provider,
                             self.source())

    def pledge(self, donors: "DonorPool") -> "PledgePlan":
        """A monthly pledge, and when and how each month's charge went (every 30 days)."""
        provider, currency = PROVIDERS.pick(self.rng), CURRENCIES.pick(self.rng)
        money, source = self.money(MONTHLY_AMOUNTS, provider, currency), self.source()
        donor_id, created = donors.known_at(self.moment(), self.rng)
        fate = PLEDGE_FATES.pick(self.rng)
        ended = self.moment_after(created) if fate == "cancelled" else self.now
        paid = [created + timedelta(days=30 * month)
                for month in range((ended - created).days // 30 + 1)]
        if fate == "past_due" and len(paid) < 2:
            fate = "active"  # past due means a later month failed after a first one paid
        outcomes = [INSTALLMENT_STATUSES.pick(self.rng) for _ in paid]
        if fate == "pending":  # checkout never finished: one donation, no months after it
            paid, outcomes = paid[:1], [self.rng.choice(("pending", "cancelled"))]
        elif fate == "past_due":
            outcomes[-1] = "failed"
        row = {"public_id": secrets.token_urlsafe(16), "status": fate, "provider": provider,
               "currency": currency, "amount_minor": money["amount_minor"],
               "fee_minor": money["fee_minor"], "donor_id": donor_id, "source": source,
               "created_at": created,  # activated when the first charge's event came
               "activated_at": None if fate == "pending" else created + timedelta(minutes=10),
               "cancelled_at": ended if fate == "cancelled" else None}
        return PledgePlan(row, money, list(zip(paid, outcomes, strict=True)))

    def installment(self, plan: "PledgePlan", pledge_id: int, moment: datetime,
                    outcome: str) -> dict:
        row = plan.row
        return {**self.donation(row["donor_id"], moment, outcome, plan.money, row["provider"],
                                row["source"], monthly=True), "pledge_id": pledge_id}


@dataclass
class PledgePlan:
    row: dict  #: the pledge row to insert
    money: dict  #: each charge's amount, fee and total
    charges: list[tuple[datetime, str]]  #: when each month was charged, and how that went
