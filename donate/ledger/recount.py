"""The tallies recounted from the donations themselves: after bulk imports, or to check them.

`flask staff rebuild-totals` and `flask demo seed` call rebuild(); the ledger keeps the tallies
current from then on.
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, func, insert, select, text

from donate.extensions import db
from donate.ledger.models import Donation
from donate.ledger.tally_events import TALLIES


def rebuild(progress: Callable[[int, int, int], None] = lambda *_: None) -> None:
    """Replace every tally's rows by a recount, a calendar year of donations at a time (no
    tally row spans two years), and commit. `progress(year, done, years)` is told after each.

    On PostgreSQL the tallies are locked against writers (readers carry on) until the commit:
    a donation changed meanwhile waits to add its delta until the recount, which then does not
    include it, is committed.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        names = ", ".join(tally.model.__tablename__ for tally in TALLIES)
        db.session.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))
    for tally in TALLIES:
        db.session.execute(delete(tally.model))
    first, last = db.session.execute(select(func.min(Donation.completed_at),
                                            func.max(Donation.completed_at))).one()
    years = range(first.year, last.year + 1) if first else range(0)
    for done, year in enumerate(years, 1):
        start, end = datetime(year, 1, 1), datetime(year + 1, 1, 1)
        for tally in TALLIES:
            db.session.execute(insert(tally.model).from_select([*tally.key, *tally.sums],
                                                               tally.recount(start, end)))
        progress(year, done, len(years))
    db.session.commit()
