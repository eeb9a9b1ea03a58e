"""Top donors read in order of their yearly totals rank exactly as summing the range would."""

import random
from datetime import date, datetime, timedelta

import pytest

from donate.extensions import db
from donate.ledger.models import Donation, Donor
from donate.staff import donor_ranking, rankings
from donate.staff.reports import Window

FIRST_DAY = date(2024, 11, 1)


@pytest.fixture
def many_gifts(app):
    """300 donations of 40 donors over 17 months (years 2024-2026), with ties in amounts."""
    rng = random.Random(11)
    donors = [Donor(email=f"donor{number}@example.org") for number in range(40)]
    for _ in range(300):
        charged = rng.choice([500, 1000, 1000, 2500, 10000])
        status = rng.choice(["completed"] * 6 + ["partially_refunded", "refunded", "disputed",
                                                 "failed"])
        db.session.add(Donation(
            currency=rng.choice(["EUR", "EUR", "USD"]), amount_minor=charged,
            charged_minor=charged, provider="sandbox", status=status,
            refunded_minor={"refunded": charged, "partially_refunded": 300}.get(status, 0),
            completed_at=None if status == "failed" else datetime.combine(
                FIRST_DAY + timedelta(days=rng.randint(0, 500)), datetime.min.time()),
            donor=rng.choice(donors)))
    db.session.commit()
    return rng


def exact(window: Window, currency: str) -> list[tuple]:
    """The ranking every currency's donors in one query, as top sources are ranked."""
    return [(row.key, int(row.total), row.gifts)
            for row in rankings._ranked(Donation.donor_id, window, 10)
            if row.currency == currency]


def windows(rng: random.Random, count: int) -> list[Window]:
    found = []
    for _ in range(count):
        first = FIRST_DAY + timedelta(days=rng.randint(-10, 500))
        found.append(Window.of_days("range", first, first + timedelta(days=rng.randint(0, 420))))
    return found


def test_ranking_by_yearly_bounds_equals_the_exact_ranking(many_gifts, monkeypatch):
    monkeypatch.setattr(donor_ranking, "BATCH", 3)  # many rounds over every year's list
    for window in windows(many_gifts, 40):
        for currency in ("EUR", "USD"):
            assert donor_ranking.top_donors_of(window, currency, 10) == exact(window, currency)


def test_when_the_bound_would_read_too_many_donors_the_range_is_summed(many_gifts,
                                                                       monkeypatch):
    monkeypatch.setattr(rankings, "SUMMED_UP_TO", 0)  # bound every range, however short
    monkeypatch.setattr(donor_ranking, "BATCH", 3)
    monkeypatch.setattr(donor_ranking, "MOST_DONORS", 4)
    gave_up = 0
    for window in windows(many_gifts, 20):
        gave_up += donor_ranking.top_donors_of(window, "EUR", 10) is None
        top = rankings.top_donors(window)
        for currency in ("EUR", "USD"):
            assert [(r.key, r.total.minor, r.gifts) for r in top.get(currency, [])] == exact(
                window, currency)
    assert gave_up
