"""The state tables, cell by cell: every action against every state."""

import pytest

from donate.ledger.states import (
    DONATION_ALREADY_DONE,
    DONATION_TRANSITIONS,
    PLEDGE_ALREADY_DONE,
    PLEDGE_TRANSITIONS,
    Action,
    DonationStatus,
    IllegalTransition,
    PledgeStatus,
    next_status,
)

D, P, A = DonationStatus, PledgeStatus, Action

# Expected outcome of every donation action in every state: a state (moves), None (already
# done: changes nothing), or "illegal".
DONATION_EXPECTED = {
    A.PAYMENT_SUCCEEDED: {D.PENDING: D.COMPLETED, D.FAILED: D.COMPLETED, D.CANCELLED: D.COMPLETED,
                          D.COMPLETED: None, D.REFUNDED: None, D.PARTIALLY_REFUNDED: None,
                          D.DISPUTED: None},
    A.PAYMENT_FAILED: {D.PENDING: D.FAILED, D.FAILED: None, D.CANCELLED: None,
                       D.COMPLETED: None, D.REFUNDED: None, D.PARTIALLY_REFUNDED: None,
                       D.DISPUTED: None},
    A.CHECKOUT_CANCELLED: {D.PENDING: D.CANCELLED, D.FAILED: None, D.CANCELLED: None,
                           D.COMPLETED: None, D.REFUNDED: None, D.PARTIALLY_REFUNDED: None,
                           D.DISPUTED: None},
    A.REFUNDED: {D.PENDING: "illegal", D.FAILED: "illegal", D.CANCELLED: "illegal",
                 D.COMPLETED: D.REFUNDED, D.REFUNDED: None, D.PARTIALLY_REFUNDED: D.REFUNDED,
                 D.DISPUTED: D.REFUNDED},
    A.DISPUTE_OPENED: {D.PENDING: "illegal", D.FAILED: "illegal", D.CANCELLED: "illegal",
                       D.COMPLETED: D.DISPUTED, D.REFUNDED: None,
                       D.PARTIALLY_REFUNDED: D.DISPUTED, D.DISPUTED: None},
    A.DISPUTE_WON: {D.PENDING: "illegal", D.FAILED: "illegal", D.CANCELLED: "illegal",
                    D.COMPLETED: None, D.REFUNDED: None, D.PARTIALLY_REFUNDED: None,
                    D.DISPUTED: D.COMPLETED},
    A.DISPUTE_LOST: {D.PENDING: "illegal", D.FAILED: "illegal", D.CANCELLED: "illegal",
                     D.COMPLETED: D.REFUNDED, D.REFUNDED: None, D.PARTIALLY_REFUNDED: D.REFUNDED,
                     D.DISPUTED: D.REFUNDED},
}

PLEDGE_EXPECTED = {
    A.PLEDGE_ACTIVATED: {P.PENDING: P.ACTIVE, P.ACTIVE: None, P.PAST_DUE: None,
                         P.CANCELLED: None},
    A.INSTALLMENT_PAID: {P.PENDING: P.ACTIVE, P.ACTIVE: None, P.PAST_DUE: P.ACTIVE,
                         P.CANCELLED: None},
    A.INSTALLMENT_FAILED: {P.PENDING: P.PAST_DUE, P.ACTIVE: P.PAST_DUE, P.PAST_DUE: None,
                           P.CANCELLED: None},
    A.PLEDGE_CANCELLED: {P.PENDING: P.CANCELLED, P.ACTIVE: P.CANCELLED, P.PAST_DUE: P.CANCELLED,
                         P.CANCELLED: None},
}


def cells(expected, table, already_done):
    return [(table, already_done, action, state, outcome) for action, row in expected.items()
            for state, outcome in row.items()]


def test_the_expected_tables_cover_every_state_and_action():
    # An amount change moves no state; the service applies it (tests/ledger/test_service.py).
    assert set(DONATION_EXPECTED) | set(PLEDGE_EXPECTED) | {Action.PLEDGE_AMOUNT_CHANGED} == set(
        Action)
    assert all(set(row) == set(DonationStatus) for row in DONATION_EXPECTED.values())
    assert all(set(row) == set(PledgeStatus) for row in PLEDGE_EXPECTED.values())


@pytest.mark.parametrize(
    ("table", "already_done", "action", "state", "outcome"),
    cells(DONATION_EXPECTED, DONATION_TRANSITIONS, DONATION_ALREADY_DONE)
    + cells(PLEDGE_EXPECTED, PLEDGE_TRANSITIONS, PLEDGE_ALREADY_DONE))
def test_transition(table, already_done, action, state, outcome):
    if outcome == "illegal":
        with pytest.raises(IllegalTransition):
            next_status(table, already_done, action, state)
    else:
        assert next_status(table, already_done, action, state) == outcome
