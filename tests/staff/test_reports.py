"""Report figures against a small ledger whose every number was worked out by hand.

Today is 2026-03-15 (UTC). The chosen range is 2025-12-01 to 2026-03-15.
"""

from datetime import date, datetime

import pytest

from donate.money import Money
from donate.staff import pledge_reports, rankings, reports
from donate.staff.reports import Window
from donate.staff.rollup import Rollup

TODAY = date(2026, 3, 15)
CHOSEN = Window.of_days("chosen", date(2025, 12, 1), TODAY)
A, B, C = (f"https://news.example.org/story-{letter}" for letter in "abc")


def at(month: int, day: int, hour: int = 9, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour)


@pytest.fixture
def ledger(books):
    alice, bob = books.donor("alice@example.org"), books.donor("bob@example.org")
    carol = books.donor("carol@example.org")
    eur_pledge = books.pledge(500, activated=at(3, 5), donor=bob)
    usd_pledge = books.pledge(1234, "USD", "cancelled", activated=at(1, 10), cancelled=at(3, 1))
    books.pledge(1000, fee=50, activated=at(6, 1, year=2025))  # active, started before CHOSEN
    books.pledge(700, status="cancelled", cancelled=at(3, 2))  # never started: not counted
    books.pledge(300, status="past_due", activated=at(1, 1))
    # EUR
    books.donation(1000, completed=at(3, 15), donor=alice, source=A)
    books.donation(2500, fee=100, refunded=600, status="partially_refunded",
                   completed=at(3, 12), donor=alice, source=B)  # counts 2000
    books.donation(500, completed=at(3, 5), donor=bob, source=B, pledge=eur_pledge)
    books.donation(5000, refunded=5000, status="refunded", completed=at(3, 13), source=A)
    books.donation(2000, status="disputed", dispute_outcome="open", completed=at(2, 23),
                   donor=alice, source=A)
    books.donation(10000, status="pending", created=at(3, 15))
    books.donation(4000, completed=at(12, 31, year=2025), donor=bob, source=C)
    books.donation(3000, status="failed", created=at(3, 15))
    # USD
    books.donation(777, "USD", completed=at(3, 15, 23), donor=carol, source=A)
    books.donation(1234, "USD", completed=at(1, 10), donor=carol, pledge=usd_pledge)
    books.donation(900, "USD", status="refunded", refunded=900, dispute_outcome="lost",
                   completed=at(3, 14))
    books.donation(1500, "USD", completed=at(3, 16))  # tomorrow: in no range


def figures(totals: list) -> list[tuple]:
    return [(row.net.minor, row.gifts, row.average and row.average.minor, row.one_time.minor,
             row.monthly.minor) for row in totals]


def test_money_counted_per_range_and_currency(ledger):
    windows = [*reports.standard_windows(TODAY), CHOSEN]
    totals = Rollup.of(reports.span_of(windows)).totals(windows)
    assert set(totals) == {"EUR", "USD"}
    #                          net, gifts, average, one-time, monthly
    assert figures(totals["EUR"]) == [(1000, 1, 1000, 1000, 0),     # today
                                      (3000, 2, 1500, 3000, 0),     # 7 days
                                      (5500, 4, 1375, 5000, 500),   # 30 days
                                      (5500, 4, 1375, 5000, 500),   # this year
                                      (9500, 5, 1900, 9000, 500)]   # chosen
    assert figures(totals["USD"]) == [(777, 1, 777, 777, 0),
                                      (777, 1, 777, 777, 0),
                                      (777, 1, 777, 777, 0),
                                      (2011, 2, 1006, 777, 1234),  # 1005.5 rounds half up
                                      (2011, 2, 1006, 777, 1234)]
    assert totals["EUR"][0].net.format() == "€10.00"


def test_refunds_and_disputes_of_the_range(ledger):
    found = Rollup.of(CHOSEN).setbacks(CHOSEN)
    eur, usd = found["EUR"], found["USD"]
    assert (eur.refunds, eur.refunded, eur.open_disputes, eur.disputed) == (
        2, Money(5600, "EUR"), 1, Money(2000, "EUR"))
    assert (eur.lost_disputes, eur.won_disputes) == (0, 0)
    assert (usd.refunds, usd.refunded.minor, usd.open_disputes, usd.lost_disputes) == (
        1, 900, 0, 1)


def test_pledges_active_recurring_revenue_new_and_cancelled(ledger):
    found = pledge_reports.pledge_figures(CHOSEN)
    eur, usd = found["EUR"], found["USD"]
    # new: the pledges started on 1 Jan (now past due) and 5 Mar
    assert (eur.active, eur.recurring, eur.past_due, eur.new, eur.cancelled) == (
        2, Money(1550, "EUR"), 1, 2, 0)
    assert (usd.active, usd.recurring.minor, usd.new, usd.cancelled) == (0, 0, 1, 1)


def test_money_per_day_fills_days_without_gifts(ledger):
    week = Window.of_days("week", date(2026, 3, 9), TODAY)
    days = Rollup.of(week).per_day(week)
    assert [(point.label, point.value.minor) for point in days["EUR"]] == [
        ("2026-03-09", 0), ("2026-03-10", 0), ("2026-03-11", 0), ("2026-03-12", 2000),
        ("2026-03-13", 0), ("2026-03-14", 0), ("2026-03-15", 1000)]
    assert sum(point.value.minor for point in days["USD"]) == 777


def test_recurring_revenue_and_all_money_per_month(ledger):
    rollup = Rollup.of(CHOSEN)
    months = rollup.per_month(CHOSEN, monthly_only=True)
    assert [(p.label, p.value.minor) for p in months["EUR"]] == [
        ("2025-12", 0), ("2026-01", 0), ("2026-02", 0), ("2026-03", 500)]
    assert [p.value.minor for p in months["USD"]] == [0, 1234, 0, 0]
    assert [p.value.minor for p in rollup.per_month(CHOSEN)["EUR"]] == [4000, 0, 2000, 3500]


def test_a_rollup_is_one_row_per_day_currency_and_kind(ledger, books):
    books.donation(300, completed=at(3, 15, 11))  # the same day, currency and kind as another
    rollup = Rollup.of(CHOSEN)
    # 8 counted donations on 7 (day, currency, kind)s, and 2 days of full refunds that count
    # nothing but are needed for the refunds figures
    assert (len(rollup.days), sum(day.gifts for day in rollup.days)) == (9, 8)
    [today] = [day for day in rollup.days if day.day == TODAY and day.currency == "EUR"]
    assert (today.net_minor, today.gifts, today.monthly) == (1300, 2, False)


def test_top_source_pages_rank_money_within_each_currency(ledger):
    top = rankings.top_sources(CHOSEN)
    assert [(r.rank, r.key, r.gifts, r.total.minor) for r in top["EUR"]] == [
        (1, C, 1, 4000), (2, A, 2, 3000), (3, B, 2, 2500)]
    assert [(r.key, r.total.minor) for r in top["USD"]] == [(A, 777)]
    assert [r.key for r in rankings.top_sources(CHOSEN, limit=2)["EUR"]] == [C, A]


def test_top_donors_rank_money_within_each_currency(ledger):
    top = rankings.top_donors(CHOSEN)
    assert [(r.label, r.gifts, r.total.minor) for r in top["EUR"]] == [
        ("alice@example.org", 3, 5000), ("bob@example.org", 2, 4500)]
    assert [(r.label, r.total.minor) for r in top["USD"]] == [("carol@example.org", 2011)]


def test_with_no_donations_every_report_is_empty(app):
    assert Rollup.of(CHOSEN).totals([CHOSEN]) == {}
    assert Rollup.of(CHOSEN).setbacks(CHOSEN) == {}
    assert Rollup.of(CHOSEN).per_day(CHOSEN) == {}
    assert rankings.top_donors(CHOSEN) == {}
