"""Receipt numbers: sequential per organisation and year, given once, never reused.

A completed donation gets its number as its transaction commits, together with every other
donation that transaction completed: one upsert per year counts on by that many and holds the
year's row lock until the commit, a few statements later, so two transactions can never take
the same number and a rolled-back one gives its numbers back. Taking the lock at the end, not
at the first completion, is what lets several events workers apply their batches side by
side: they queue for those last statements only.

The emails that show the number (the receipt, a refund notice in the same transaction) are
written before it is known, with a stand-in for it (`receipt_number_for`); the same statements
put the number in their place in the outbox, so no message ever commits with a stand-in.
"""

from collections import defaultdict
from functools import cache

from sqlalchemy import bindparam, event, func, update
from sqlalchemy.orm import Session

from donate.extensions import db, insert_for
from donate.ledger.models import Donation, ReceiptSequence
from donate.outbox.models import OutboxMessage

#: Where a session keeps the donations awaiting a number: public id -> (donation, the ids of
#: outbox messages that show its stand-in).
AWAITING = "donate.awaiting_receipt_numbers"


def number_at_commit(donation: Donation) -> None:
    """Give this newly completed donation its number when its transaction commits."""
    _awaiting(db.session).setdefault(donation.public_id, (donation, []))


def receipt_number_for(donation: Donation) -> str:
    """The number to print in a message: the donation's own or, while its transaction has yet
    to give it, a stand-in that is replaced in the outbox as the transaction commits (tell
    `shown_in` which message printed it)."""
    if donation.receipt_number or donation.public_id not in _awaiting(db.session):
        return donation.receipt_number or ""
    return _stand_in(donation)


def _stand_in(donation: Donation) -> str:
    return f"[receipt number of {donation.public_id}]"


def shown_in(donation: Donation, message_id: int | None) -> None:
    """The outbox message `message_id` printed receipt_number_for(donation)."""
    waiting = _awaiting(db.session).get(donation.public_id)
    if waiting and message_id is not None and not donation.receipt_number:
        waiting[1].append(message_id)


def _awaiting(session: Session) -> dict:
    return session.info.setdefault(AWAITING, {})


@event.listens_for(Session, "before_flush")
@event.listens_for(Session, "before_commit")
def _number_the_receipts(session: Session, *_flush_arguments) -> None:
    """Number what this transaction (or savepoint) completed, in the order it completed them:
    when it commits, or at a flush before that. Flushing a completion moves the tallies, and
    their rows must be locked after the year's, as in every transaction, or two could each
    hold what the other waits for.

    A donation whose completion a savepoint took back is no longer completed (or no longer in
    the session) by now, and is skipped; its messages went with the savepoint.
    """
    awaiting = session.info.pop(AWAITING, None)
    if not awaiting:
        return
    by_year = defaultdict(list)
    for donation, message_ids in awaiting.values():
        if donation in session and donation.completed_at and not donation.receipt_number:
            by_year[donation.completed_at.year].append((donation, message_ids))
    connection = session.connection()
    stand_ins = []
    for year, completed in sorted(by_year.items()):
        last = connection.execute(_count_on(connection.dialect.name),
                                  {"year": year, "count": len(completed)}).scalar_one()
        for number, (donation, message_ids) in enumerate(completed, last - len(completed) + 1):
            stand_in = _stand_in(donation)
            donation.receipt_number = f"{year}-{number:06d}"
            stand_ins += [{"message_id": message_id, "stand_in": stand_in,
                           "number": donation.receipt_number} for message_id in message_ids]
    if stand_ins:
        connection.execute(_fill_in(), stand_ins)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction) -> None:
    """A rolled-back transaction gives no numbers. (After a savepoint's rollback the rest of
    the transaction still may, and what the savepoint took back is skipped at commit.)"""
    if not previous_transaction.nested:
        session.info.pop(AWAITING, None)


@cache
def _count_on(dialect_name: str):
    """The upsert that takes `count` numbers, built once: every completing commit runs it."""
    statement = insert_for(dialect_name, ReceiptSequence).values(
        year=bindparam("year"), last_number=bindparam("count"))
    return statement.on_conflict_do_update(
        index_elements=["year"],
        set_={"last_number": ReceiptSequence.last_number + statement.excluded.last_number},
    ).returning(ReceiptSequence.last_number)


@cache
def _fill_in():
    """The number in place of its stand-in, in one message's subject and bodies."""
    def replaced(column):
        return func.replace(column, bindparam("stand_in"), bindparam("number"))

    return (update(OutboxMessage).where(OutboxMessage.id == bindparam("message_id"))
            .values(subject=replaced(OutboxMessage.subject),
                    body_text=replaced(OutboxMessage.body_text),
                    body_html=replaced(OutboxMessage.body_html)))
