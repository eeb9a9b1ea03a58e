"""Every change to a donation through the ORM moves the tallies, in the same transaction.

A mapper event rather than calls in service.py: every path that writes a donation, today's
and any added later, keeps the tallies right without having to remember to; the upserts run
on the flush's own connection, so a rollback (or a savepoint's) takes them back with the
change. Bulk Core INSERTs bypass it (`flask demo seed`) and end with recount.rebuild().
"""

from sqlalchemy import event, inspect

from donate.ledger.daily import DAILY
from donate.ledger.donor_years import DONOR_YEARS
from donate.ledger.models import Donation
from donate.ledger.tallies import TRACKED, Snapshot, apply_change

TALLIES = (DAILY, DONOR_YEARS)


def _snapshot(donation: Donation, before: bool = False) -> Snapshot:
    """The TRACKED columns as they are now, or (`before`) as this flush found them."""
    attributes = inspect(donation).attrs
    values = {}
    for name in TRACKED:
        history = attributes[name].history
        values[name] = history.deleted[0] if before and history.deleted else getattr(
            donation, name)
    return Snapshot(**values)


@event.listens_for(Donation, "after_insert")
def _inserted(mapper, connection, donation: Donation) -> None:
    apply_change(connection, TALLIES, None, _snapshot(donation))


@event.listens_for(Donation, "after_update")
def _updated(mapper, connection, donation: Donation) -> None:
    apply_change(connection, TALLIES, _snapshot(donation, before=True), _snapshot(donation))


@event.listens_for(Donation, "after_delete")
def _deleted(mapper, connection, donation: Donation) -> None:
    apply_change(connection, TALLIES, _snapshot(donation, before=True), None)


def _keep_old_value(target, value, oldvalue, initiator) -> None:
    """Nothing to do here: listening with active_history is what loads the old value."""


# Setting a column that was expired (not read since the last commit) would otherwise leave no
# old value in its history, and the wrong contribution would be taken away. (Not the id: a
# primary key never changes.)
for _name in TRACKED[1:]:
    event.listen(getattr(Donation, _name), "set", _keep_old_value, active_history=True)
