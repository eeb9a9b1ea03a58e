"""Receipt numbers: sequential per organisation and year, given once, never reused."""

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from donate.extensions import db
from donate.ledger.models import ReceiptSequence


def next_receipt_number(year: int) -> str:
    """Take the year's next number inside the caller's transaction ("2026-000042").

    The UPDATE holds the year's row lock until the caller commits, so two transactions can
    never take the same number, and a rolled-back one gives its number back.
    """
    number = _increment(year)
    if number is None:
        try:
            with db.session.begin_nested():
                db.session.add(ReceiptSequence(year=year, last_number=1))
            number = 1
        except IntegrityError:  # another transaction opened the year first
            number = _increment(year)
    return f"{year}-{number:06d}"


def _increment(year: int) -> int | None:
    with db.session.no_autoflush:  # the caller's pending changes go out with its next flush
        return db.session.execute(
            update(ReceiptSequence).where(ReceiptSequence.year == year)
            .values(last_number=ReceiptSequence.last_number + 1)
            .returning(ReceiptSequence.last_number)).scalar()
