"""Receipt numbers: sequential per organisation and year, given once, never reused."""

from functools import cache

from sqlalchemy import bindparam

from donate.extensions import db, insert_for
from donate.ledger.models import ReceiptSequence


def next_receipt_number(year: int) -> str:
    """Take the year's next number inside the caller's transaction ("2026-000042").

    One upsert opens the year or counts on, and holds the year's row lock until the caller
    commits, so two transactions can never take the same number, and a rolled-back one gives
    its number back. The caller's pending changes are not flushed first: the year's lock is
    taken before the row locks that flushing them takes, in every transaction, so two
    completions never wait for each other in a circle.
    """
    number = db.session.connection().execute(  # Core: no autoflush, no ORM on the way
        _count_on(db.session.get_bind().dialect.name), {"year": year}).scalar_one()
    return f"{year}-{number:06d}"


@cache
def _count_on(dialect_name: str):
    """The upsert, built once: every completion runs it."""
    return (insert_for(dialect_name, ReceiptSequence).values(year=bindparam("year"), last_number=1)
            .on_conflict_do_update(index_elements=["year"],
                                   set_={"last_number": ReceiptSequence.last_number + 1})
            .returning(ReceiptSequence.last_number))
