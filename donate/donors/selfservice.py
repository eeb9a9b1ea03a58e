"""What a signed-in donor can do to a monthly pledge: stop it, change it, update the card.

Each asks the pledge's provider; the ledger changes when the provider's event arrives, so the
page says "requested", not "done", unless the provider answered at once (the sandbox does).
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_pgettext
from sqlalchemy import select

from donate.extensions import db
from donate.ledger.models import Donor, Pledge
from donate.ledger.states import PledgeStatus
from donate.money import AmountError, parse_amount
from donate.payments.base import ProviderError
from donate.payments.registry import provider_named
from donate.widget.settings import widget_settings

LIVE = {PledgeStatus.ACTIVE, PledgeStatus.PAST_DUE}
#: A monthly donation's status as its donor reads it ("This monthly donation is past due.").
PLEDGE_STATUS_WORDS = {
    PledgeStatus.PENDING: lazy_pgettext("monthly donation", "pending"),
    PledgeStatus.ACTIVE: lazy_pgettext("monthly donation", "active"),
    PledgeStatus.PAST_DUE: lazy_pgettext("monthly donation", "past due"),
    PledgeStatus.CANCELLED: lazy_pgettext("monthly donation", "cancelled"),
}


def pledge_status_words(status: str) -> str:
    return str(PLEDGE_STATUS_WORDS.get(status, status.replace("_", " ")))


@dataclass(frozen=True)
class Outcome:
    """What to tell the donor, and where to send them (a provider page), if anywhere."""

    ok: bool
    message: str
    redirect_url: str | None = None


def own_pledge(donor: Donor, public_id: str) -> Pledge | None:
    return db.session.scalar(select(Pledge).where(Pledge.public_id == public_id,
                                                  Pledge.donor_id == donor.id))


def cancel(pledge: Pledge) -> Outcome:
    provider = _live_provider(pledge)
    if isinstance(provider, Outcome):
        return provider
    try:
        provider.cancel_pledge(pledge)
    except ProviderError as refused:
        return Outcome(False, str(refused))
    return Outcome(True, _("We asked %(provider)s to stop your monthly donation. You will get "
                           "an email when it has ended.", provider=provider.label))


def change_amount(pledge: Pledge, typed: str, return_url: str) -> Outcome:
    provider = _live_provider(pledge)
    if isinstance(provider, Outcome):
        return provider
    settings = widget_settings()
    try:
        amount = parse_amount(typed, pledge.currency, settings.minimum[pledge.currency],
                              settings.maximum[pledge.currency])
    except AmountError as bad:
        return Outcome(False, str(bad))
    try:
        approval = provider.change_pledge_amount(pledge, amount, return_url)
    except ProviderError as refused:
        return Outcome(False, str(refused))
    if approval:
        return Outcome(True, _("Approve %(amount)s a month at %(provider)s.",
                               amount=amount.format(), provider=provider.label), approval)
    return Outcome(True, _("Your monthly donation will be %(amount)s from the next payment on.",
                           amount=amount.format()))


def card_page(pledge: Pledge, return_url: str) -> Outcome:
    provider = _live_provider(pledge)
    if isinstance(provider, Outcome):
        return provider
    try:
        return Outcome(True, "", provider.payment_method_url(pledge, return_url))
    except ProviderError as refused:
        return Outcome(False, str(refused))


def _live_provider(pledge: Pledge):
    if pledge.status not in LIVE or not pledge.provider_ref:
        return Outcome(False, _("This monthly donation is %(status)s.",
                                status=pledge_status_words(pledge.status)))
    provider = provider_named(pledge.provider)
    if provider is None:
        return Outcome(False, _("Please contact us to change this monthly donation."))
    return provider
