"""Test helper: the tallies as the ledger kept them, and as the donations recount them."""

from datetime import date, datetime

from sqlalchemy import select

from donate.extensions import db
from donate.ledger.tally_events import TALLIES


def _plain(value):
    """Key values as both databases give them back: SQLite has dates as text, bools as 0/1."""
    if isinstance(value, date):
        return value.isoformat()
    return int(value) if isinstance(value, bool) else value


def kept_and_recounted() -> list[tuple[dict, dict]]:
    """Per tally: {key: sums} of its rows (rows summing to nothing left out), and the same
    recounted from every donation."""
    db.session.rollback()  # a fresh snapshot: requests and the ledger wrote on their own
    result = []
    for tally in TALLIES:
        table = tally.model.__table__
        columns = [table.c[name] for name in (*tally.key, *tally.sums)]
        kept = _by_key(tally, db.session.execute(select(*columns)))
        recounted = _by_key(tally, db.session.execute(
            tally.recount(datetime(1970, 1, 1), datetime(9999, 1, 1))))
        result.append((kept, recounted))
    return result


def _by_key(tally, rows) -> dict:
    width = len(tally.key)
    return {tuple(map(_plain, row[:width])): tuple(int(value) for value in row[width:])
            for row in rows if any(row[width:])}


def assert_tallies_match_donations() -> None:
    for kept, recounted in kept_and_recounted():
        assert kept == recounted
