"""Monthly pledges on the dashboard: how many run, what they bring a month, what came and went."""

from dataclasses import dataclass

from sqlalchemy import case, func, select

from donate.extensions import db
from donate.ledger.models import Pledge
from donate.ledger.states import PledgeStatus
from donate.money import Money
from donate.staff.reports import Window

DEFINITION = ("Monthly recurring revenue is what active pledges charge each month, including "
              "fees donors chose to cover. New pledges started (first payment) in the range; "
              "cancelled ones had started and ended in it.")


@dataclass(frozen=True)
class PledgeFigures:
    currency: str
    active: int
    recurring_minor: int  #: monthly recurring revenue of the active pledges
    past_due: int  #: a charge failed; the provider is retrying
    new: int
    cancelled: int

    @property
    def recurring(self) -> Money:
        return Money(self.recurring_minor, self.currency)


def pledge_figures(window: Window) -> dict[str, PledgeFigures]:
    """Per currency; one pass over the pledge table (a small one: one row per monthly donor)."""
    active = Pledge.status == PledgeStatus.ACTIVE
    started = Pledge.activated_at.is_not(None)
    query = (select(Pledge.currency,
                    func.count(case((active, 1))),
                    func.coalesce(func.sum(case((active, Pledge.amount_minor + Pledge.fee_minor))),
                                  0),
                    func.count(case((Pledge.status == PledgeStatus.PAST_DUE, 1))),
                    func.count(case((window.holds(Pledge.activated_at), 1))),
                    func.count(case((started & window.holds(Pledge.cancelled_at), 1))))
             .group_by(Pledge.currency).order_by(Pledge.currency))
    return {row[0]: PledgeFigures(row[0], *map(int, row[1:]))
            for row in db.session.execute(query)
            if any(row[1:])}
