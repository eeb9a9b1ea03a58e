"""The ledger's state tables: what each provider-neutral action does to a donation or pledge.

A transition is one of three things. Listed in TRANSITIONS: the row moves. Listed in
ALREADY_DONE: the action is late or repeated (the row is already where the action would put
it, or further along), so nothing changes. Anything else is illegal: it raises, is logged with
its event, and leaves the row untouched.
"""

from enum import StrEnum


class DonationStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    DISPUTED = "disputed"


class PledgeStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELLED = "cancelled"


class Action(StrEnum):
    """What a provider told us happened, in its own words translated to ours."""

    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    CHECKOUT_CANCELLED = "checkout_cancelled"
    REFUNDED = "refunded"  # carries the cumulative refunded amount
    DISPUTE_OPENED = "dispute_opened"
    DISPUTE_WON = "dispute_won"
    DISPUTE_LOST = "dispute_lost"
    PLEDGE_ACTIVATED = "pledge_activated"
    INSTALLMENT_PAID = "installment_paid"
    INSTALLMENT_FAILED = "installment_failed"
    PLEDGE_CANCELLED = "pledge_cancelled"
    PLEDGE_AMOUNT_CHANGED = "pledge_amount_changed"  # carries the new monthly amount


class IllegalTransition(Exception):
    """An action that makes no sense for the row's state; the row is left as it was."""


D = DonationStatus
#: Money the provider confirms outranks our earlier view that the checkout failed or was
#: abandoned (the reader may pay in a tab we had given up on), so failed/cancelled -> completed.
DONATION_TRANSITIONS: dict[Action, dict[DonationStatus, DonationStatus]] = {
    Action.PAYMENT_SUCCEEDED: {D.PENDING: D.COMPLETED, D.FAILED: D.COMPLETED,
                               D.CANCELLED: D.COMPLETED},
    Action.PAYMENT_FAILED: {D.PENDING: D.FAILED},
    Action.CHECKOUT_CANCELLED: {D.PENDING: D.CANCELLED},
    # REFUNDED's target (full or partial) depends on the amount: see refund_status().
    Action.REFUNDED: {D.COMPLETED: D.REFUNDED, D.PARTIALLY_REFUNDED: D.REFUNDED,
                      D.DISPUTED: D.REFUNDED},
    Action.DISPUTE_OPENED: {D.COMPLETED: D.DISPUTED, D.PARTIALLY_REFUNDED: D.DISPUTED},
    Action.DISPUTE_WON: {D.DISPUTED: D.COMPLETED},
    Action.DISPUTE_LOST: {D.DISPUTED: D.REFUNDED, D.COMPLETED: D.REFUNDED,
                          D.PARTIALLY_REFUNDED: D.REFUNDED},
}

SETTLED = {D.COMPLETED, D.REFUNDED, D.PARTIALLY_REFUNDED, D.DISPUTED}
DONATION_ALREADY_DONE: dict[Action, set[DonationStatus]] = {
    Action.PAYMENT_SUCCEEDED: SETTLED,
    Action.PAYMENT_FAILED: {D.FAILED} | SETTLED | {D.CANCELLED},
    Action.CHECKOUT_CANCELLED: {D.CANCELLED, D.FAILED} | SETTLED,
    Action.REFUNDED: {D.REFUNDED},
    Action.DISPUTE_OPENED: {D.DISPUTED, D.REFUNDED},
    Action.DISPUTE_WON: {D.COMPLETED, D.PARTIALLY_REFUNDED, D.REFUNDED},
    Action.DISPUTE_LOST: {D.REFUNDED},
}

P = PledgeStatus
PLEDGE_TRANSITIONS: dict[Action, dict[PledgeStatus, PledgeStatus]] = {
    Action.PLEDGE_ACTIVATED: {P.PENDING: P.ACTIVE},
    Action.INSTALLMENT_PAID: {P.PENDING: P.ACTIVE, P.PAST_DUE: P.ACTIVE},
    Action.INSTALLMENT_FAILED: {P.ACTIVE: P.PAST_DUE, P.PENDING: P.PAST_DUE},
    Action.PLEDGE_CANCELLED: {P.PENDING: P.CANCELLED, P.ACTIVE: P.CANCELLED,
                              P.PAST_DUE: P.CANCELLED},
}
PLEDGE_ALREADY_DONE: dict[Action, set[PledgeStatus]] = {
    Action.PLEDGE_ACTIVATED: {P.ACTIVE, P.PAST_DUE, P.CANCELLED},
    Action.INSTALLMENT_PAID: {P.ACTIVE, P.CANCELLED},
    Action.INSTALLMENT_FAILED: {P.PAST_DUE, P.CANCELLED},
    Action.PLEDGE_CANCELLED: {P.CANCELLED},
}


def next_status(table: dict, already_done: dict, action: Action,
                current: StrEnum) -> StrEnum | None:
    """The state `action` moves `current` to; None when it changes nothing; raise if illegal."""
    target = table.get(action, {}).get(current)
    if target is not None:
        return target
    if current in already_done.get(action, set()):
        return None
    raise IllegalTransition(f"{action} is not allowed for a row that is {current}")
