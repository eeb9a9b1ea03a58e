"""`flask demo seed`: demo donors, gifts and pledges, written with bulk INSERTs in batches.

This writes ledger rows directly, not through the ledger service: the service takes one
provider event at a time and enqueues a receipt email for each, which for a million donations
would take hours and fill the outbox. The rows are ones the ledger could have written (see
demo_rows), and receipt numbers are taken from the same yearly sequence real ones use.
"""

import random
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import insert, text, update

from donate.extensions import db
from donate.ledger.models import Donation, Donor, Pledge, ReceiptSequence, utcnow
from donate.money import parse_fee_table
from donate.staff.demo_rows import DemoRows, DonorPool, articles

BATCH = 5000
#: Share of donations that are monthly installments.
MONTHLY_SHARE = 0.35


@dataclass
class SeedTotals:
    donors: int = 0
    pledges: int = 0
    donations: int = 0


def seed_demo_data(count: int, random_seed: int | None = None,
                   progress: Callable[[int], None] = lambda _: None) -> SeedTotals:
    """Add `count` donations (about a third monthly) from count/5 donors, then ANALYZE."""
    rng = random.Random(random_seed)
    rows = DemoRows(rng, utcnow(), parse_fee_table(current_app.config["DONATION_FEES"]),
                    articles(rng), tag=secrets.token_hex(3))
    totals = SeedTotals()
    donors = DonorPool(_insert_donors(rows, max(1, count // 5), totals))
    batches = Batches(totals, progress)
    monthly = int(count * MONTHLY_SHARE)
    while batches.donations_added < monthly:
        pledge, installments = rows.pledge(donors)
        batches.add_pledge(pledge, installments[:monthly - batches.donations_added])
    while batches.donations_added < count:
        batches.add_donation(rows.one_time_gift(donors))
    batches.flush()
    db.session.execute(text("ANALYZE"))  # fresh statistics, so the planner uses the indexes
    db.session.commit()
    return totals


def _insert_donors(rows: DemoRows, count: int, totals: SeedTotals) -> list[tuple]:
    """Insert the donors; return (id, created_at) of each, to give them gifts."""
    donors = []
    for start in range(0, count, BATCH):
        batch = [rows.donor(number) for number in range(start, min(count, start + BATCH))]
        donors += db.session.execute(insert(Donor).returning(
            Donor.id, Donor.created_at, sort_by_parameter_order=True), batch).all()
        db.session.commit()
    totals.donors += len(donors)
    return [tuple(donor) for donor in donors]


class Batches:
    """Pledges and donations kept until BATCH donations are waiting, then written together."""

    def __init__(self, totals: SeedTotals, progress: Callable[[int], None]) -> None:
        self.totals, self.progress = totals, progress
        self.pledges: list[dict] = []
        self.donations: list[tuple[int | None, dict]] = []  # (index in self.pledges, row)
        self.donations_added = 0

    def add_pledge(self, pledge: dict, installments: list[dict]) -> None:
        self.pledges.append(pledge)
        self.donations += [(len(self.pledges) - 1, row) for row in installments]
        self._added(len(installments))

    def add_donation(self, row: dict) -> None:
        self.donations.append((None, row))
        self._added(1)

    def _added(self, count: int) -> None:
        self.donations_added += count
        if len(self.donations) >= BATCH:
            self.flush()

    def flush(self) -> None:
        pledge_ids = db.session.scalars(insert(Pledge).returning(
            Pledge.id, sort_by_parameter_order=True), self.pledges).all() if self.pledges else []
        rows = [{**row, "pledge_id": None if index is None else pledge_ids[index]}
                for index, row in self.donations]
        _number_receipts(rows)
        if rows:
            db.session.execute(insert(Donation), rows)
        db.session.commit()
        self.totals.pledges += len(self.pledges)
        self.totals.donations += len(rows)
        self.progress(len(rows))
        self.pledges, self.donations = [], []


def _number_receipts(rows: list[dict]) -> None:
    """Receipt numbers for the donations that completed, from the real yearly sequences."""
    years = Counter(row["completed_at"].year for row in rows if row["completed_at"])
    next_number = {year: _reserve(year, needed) for year, needed in years.items()}
    for row in rows:
        row["receipt_number"] = None
        if row["completed_at"]:
            year = row["completed_at"].year
            row["receipt_number"] = f"{year}-{next_number[year]:06d}"
            next_number[year] += 1


def _reserve(year: int, count: int) -> int:
    """Take `count` numbers of a year's sequence at once; return the first."""
    last = db.session.execute(update(ReceiptSequence).where(ReceiptSequence.year == year)
                              .values(last_number=ReceiptSequence.last_number + count)
                              .returning(ReceiptSequence.last_number)).scalar()
    if last is None:
        db.session.add(ReceiptSequence(year=year, last_number=count))
        db.session.flush()
        last = count
    return last - count + 1
