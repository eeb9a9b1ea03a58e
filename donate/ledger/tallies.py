"""Tallies: sums over donations that the ledger keeps in tables of their own, always current.

A tally row sums what some donations add to a report (money per day, daily.py; a donor's
money per year, donor_years.py). When a donation changes, what it added before is taken away
from its row and what it adds now is added to its row, in the same transaction as the change
(tally_events.py). So a tally is exactly as current as the donations, and a refund or dispute
that changes a donation completed long ago changes that long-past row: deltas, not appends.

Each tally says how one donation contributes (`sums_of`, in Python) and how a range of
donations sum up (`recount`, in SQL: for the migration's backfill and `rebuild-totals`); the
tests check that the two agree after any sequence of ledger events.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache

from sqlalchemy import Connection, Select

from donate.extensions import insert_for
from donate.ledger.states import SETTLED, DonationStatus

#: Donations whose money counts; a refunded one gave everything back.
COUNTED = (DonationStatus.COMPLETED, DonationStatus.PARTIALLY_REFUNDED, DonationStatus.DISPUTED)


@dataclass(frozen=True)
class Snapshot:
    """The columns of a donation that tallies read, as they were at one moment."""

    id: int
    status: str
    completed_at: datetime | None
    currency: str
    kind: str
    charged_minor: int
    refunded_minor: int
    donor_id: int | None

    @property
    def settled(self) -> bool:
        """Completed once, so in the reports (its refunds too), even if refunded since."""
        return self.status in SETTLED and self.completed_at is not None

    @property
    def counted(self) -> bool:
        return self.settled and self.status in COUNTED

    @property
    def net_minor(self) -> int:
        """What it brought in: charged (fee covered included) minus refunded, if counted."""
        return self.charged_minor - self.refunded_minor if self.counted else 0


#: The donation columns tallies read.
TRACKED = tuple(field.name for field in fields(Snapshot))

#: A row's key values and the sums one donation adds to it.
Contribution = tuple[tuple, dict[str, int]]


@dataclass(frozen=True)
class Tally:
    model: type  #: the table's model
    key: tuple[str, ...]  #: the columns of its primary key
    sums: tuple[str, ...]  #: the columns that are sums
    #: what a donation adds, or None for nothing
    sums_of: Callable[[Snapshot], Contribution | None]
    #: SELECT of key + sums over the donations that completed in [start, end)
    recount: Callable[[datetime, datetime], Select]


#: One donation's change: its tracked columns before (None: it was new) and after (None: gone).
Change = tuple[Snapshot | None, Snapshot | None]


def apply_changes(connection: Connection, tallies: Iterable[Tally],
                  changes: Iterable[Change]) -> None:
    """Move each tally from the changes' old contributions to their new ones: for each tally,
    the deltas summed per row, then one upsert statement for all the rows touched."""
    changes = list(changes)
    for tally in tallies:
        deltas: dict[tuple, dict[str, int]] = {}
        for before, after in changes:
            for snapshot, sign in ((before, -1), (after, 1)):
                found = snapshot and tally.sums_of(snapshot)
                if found:
                    key, sums = found
                    delta = deltas.setdefault(key, dict.fromkeys(tally.sums, 0))
                    for name, value in sums.items():
                        delta[name] += sign * value
        rows = [dict(zip(tally.key, key, strict=True)) | delta
                for key, delta in sorted(deltas.items())  # one order: writers queue, never
                if any(delta.values())]                   # wait for each other in a circle
        if rows:
            # INSERT the row, or add to the one there: whichever writer came first.
            connection.execute(_upsert(tally, connection.dialect.name), rows)


@cache
def _upsert(tally: Tally, dialect_name: str):
    """The tally's INSERT ... ON CONFLICT DO UPDATE SET sum = sum + excluded.sum, built once:
    it runs on every flush that changes donations, and building it costs more than running
    it."""
    table = tally.model.__table__
    statement = insert_for(dialect_name, table)
    return statement.on_conflict_do_update(
        index_elements=tally.key,
        set_={name: table.c[name] + statement.excluded[name] for name in tally.sums})
