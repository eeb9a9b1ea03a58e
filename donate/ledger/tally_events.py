"""Every change to a donation through the ORM moves the tallies, in the same transaction.

Mapper events rather than calls in service.py: every path that writes a donation, today's
and any added later, keeps the tallies right without having to remember to. Each donation
written by a flush notes its change (the columns tallies read, before and after); when the
flush is done, the changes are summed per tally row and written in one statement per tally,
on the flush's own connection, so a rollback (or a savepoint's) takes them back with the
donations. The events worker flushes a hundred completions at once: two statements instead of
two hundred. Bulk Core INSERTs bypass all this (`flask demo seed`) and end with
recount.rebuild().
"""

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, object_session

from donate.ledger.daily import DAILY
from donate.ledger.donor_years import DONOR_YEARS
from donate.ledger.models import Donation
from donate.ledger.tallies import TRACKED, Change, Snapshot, apply_changes

TALLIES = (DAILY, DONOR_YEARS)
#: Where a session keeps the donation changes of the flush under way.
CHANGES = "donate.tally_changes"


def _snapshot(donation: Donation, before: bool = False) -> Snapshot:
    """The TRACKED columns as they are now, or (`before`) as this flush found them."""
    attributes = inspect(donation).attrs
    values = {}
    for name in TRACKED:
        history = attributes[name].history
        values[name] = history.deleted[0] if before and history.deleted else getattr(
            donation, name)
    return Snapshot(**values)


def _note(donation: Donation, change: Change) -> None:
    object_session(donation).info.setdefault(CHANGES, []).append(change)


@event.listens_for(Donation, "after_insert")
def _inserted(mapper, connection, donation: Donation) -> None:
    _note(donation, (None, _snapshot(donation)))


@event.listens_for(Donation, "after_update")
def _updated(mapper, connection, donation: Donation) -> None:
    _note(donation, (_snapshot(donation, before=True), _snapshot(donation)))


@event.listens_for(Donation, "after_delete")
def _deleted(mapper, connection, donation: Donation) -> None:
    _note(donation, (_snapshot(donation, before=True), None))


@event.listens_for(Session, "before_flush")
def _forget_a_failed_flush(session: Session, flush_context, instances) -> None:
    """A flush that raised was rolled back with what it noted; start this one clean."""
    session.info.pop(CHANGES, None)


@event.listens_for(Session, "after_flush")
def _move_the_tallies(session: Session, flush_context) -> None:
    changes = session.info.pop(CHANGES, None)
    if changes:
        apply_changes(session.connection(), TALLIES, changes)


def _keep_old_value(target, value, oldvalue, initiator) -> None:
    """Nothing to do here: listening with active_history is what loads the old value."""


# Setting a column that was expired (not read since the last commit) would otherwise leave no
# old value in its history, and the wrong contribution would be taken away. (Not the id: a
# primary key never changes.)
for _name in TRACKED[1:]:
    event.listen(getattr(Donation, _name), "set", _keep_old_value, active_history=True)
