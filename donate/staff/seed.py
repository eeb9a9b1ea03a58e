"""`flask demo seed`: demo donors, gifts and pledges, written with bulk INSERTs in batches.

This writes ledger rows directly, not through the ledger service: the service takes one
provider event at a time and enqueues a receipt email for each, which for a million donations
would take hours and fill the outbox. The rows are ones the ledger could have written (see
demo_rows), receipt numbers come from the same yearly sequences, and donations are inserted in
the order they happened, so the table's physical order is like a real one's. The ledger's
tallies (the dashboard's sums) do not see bulk INSERTs, so they are recounted at the end.
"""

import random
import secrets
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import insert, text, update

from donate.extensions import db
from donate.ledger.models import Donation, Donor, Pledge, ReceiptSequence, utcnow
from donate.ledger.recount import rebuild
from donate.money import parse_fee_table
from donate.staff.demo_rows import DemoRows, PledgePlan, articles

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
    """Add `count` donations (about a third monthly) from count/5 donors, recount the
    dashboard's tallies, then ANALYZE."""
    rng = random.Random(random_seed)
    rows = DemoRows(rng, utcnow(), parse_fee_table(current_app.config["DONATION_FEES"]),
                    articles(rng), tag=secrets.token_hex(3))
    totals = SeedTotals()
    donors = DonorPool(_insert(Donor.__table__, [rows.donor(n) for n in range(max(1, count // 5))],
                               Donor.id, Donor.created_at))
    totals.donors = len(donors.ids)
    pledges = _planned_pledges(rows, donors, int(count * MONTHLY_SHARE))
    totals.pledges = len(pledges)
    timeline = [(moment, outcome, pledge_id, plan) for pledge_id, plan in pledges
                for moment, outcome in plan.charges]
    timeline += [(rows.moment(), None, None, None) for _ in range(count - len(timeline))]
    timeline.sort(key=lambda event: event[0])
    for start in range(0, len(timeline), BATCH):
        batch = [rows.installment(plan, pledge_id, moment, outcome) if plan
                 else rows.one_time_gift(donors, moment)
                 for moment, outcome, pledge_id, plan in timeline[start:start + BATCH]]
        _number_receipts(batch)
        _insert(Donation.__table__, batch)
        totals.donations += len(batch)
        progress(len(batch))
    rebuild()
    db.session.execute(text("ANALYZE"))  # fresh statistics, so the planner uses the indexes
    db.session.commit()
    return totals


class DonorPool:
    """The inserted donors by when they first appeared, to pick one who existed at a time."""

    def __init__(self, donors: list[tuple[int, datetime]]) -> None:
        ordered = sorted(donors, key=lambda donor: donor[1])
        self.ids = [donor_id for donor_id, _ in ordered]
        self.since = [created_at for _, created_at in ordered]

    def known_at(self, moment: datetime, rng: random.Random) -> tuple[int, datetime]:
        """A donor who had appeared by `moment` (early donors give more often, as loyal ones
        do); the first donor, and their first day, when `moment` is earlier than everyone."""
        known = bisect_right(self.since, moment)
        if known == 0:
            return self.ids[0], self.since[0]
        return self.ids[rng.randrange(known)], moment


def _planned_pledges(rows: DemoRows, donors: DonorPool,
                     charges: int) -> list[tuple[int, PledgePlan]]:
    """Insert pledges until they hold `charges` monthly charges; return (id, plan) of each."""
    plans: list[PledgePlan] = []
    planned = 0
    while planned < charges:
        plan = rows.pledge(donors)
        plan.charges = plan.charges[:charges - planned]
        plans.append(plan)
        planned += len(plan.charges)
    ids = dict((public_id, pledge_id) for pledge_id, public_id in
               _insert(Pledge.__table__, [plan.row for plan in plans], Pledge.id,
                       Pledge.public_id))
    return [(ids[plan.row["public_id"]], plan) for plan in plans]


def _insert(table, rows: list[dict], *returning) -> list[tuple]:
    """Bulk INSERT in batches, committing each; the `returning` columns of the new rows.

    Core INSERTs on the table, not the ORM's bulk insert: with a million rows the ORM's
    bookkeeping costs more than the database's work, and RETURNING only where ids are needed.
    """
    inserted = []
    for start in range(0, len(rows), BATCH):
        statement = insert(table).returning(*returning) if returning else insert(table)
        result = db.session.execute(statement, rows[start:start + BATCH])
        inserted += result.all() if returning else []
        db.session.commit()
    return [tuple(row) for row in inserted]


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
