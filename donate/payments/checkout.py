"""Opening a provider's checkout for a pending donation: the step between intake and payment."""

import logging
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _

from donate.ledger import service as ledger
from donate.ledger.models import Donation
from donate.ledger.states import DonationStatus
from donate.payments.base import CheckoutUnavailable, CheckoutUrls
from donate.payments.registry import provider_named
from donate.widget.messages import status_words

log = logging.getLogger("donate.checkout")


@dataclass(frozen=True)
class CheckoutResult:
    """Where to send the reader, or why we cannot (a message for the reader)."""

    redirect_url: str | None = None
    error: str | None = None


def open_checkout(donation: Donation) -> CheckoutResult:
    """Ask the donation's provider for a payment page, once; a repeat gets the same page."""
    if donation.checkout_url:
        return CheckoutResult(redirect_url=donation.checkout_url)
    if donation.status != DonationStatus.PENDING:
        return CheckoutResult(error=_closed_message(donation))
    provider = provider_named(donation.provider)
    if provider is None:
        return CheckoutResult(error=_("This payment method is not available any more."))
    urls = CheckoutUrls(
        success=url_for("widget.thanks", donation_id=donation.public_id, _external=True),
        cancel=url_for("widget.thanks", donation_id=donation.public_id, cancelled=1,
                       _external=True))
    try:
        checkout = provider.start_checkout(donation, urls)
    except CheckoutUnavailable as unavailable:
        log.warning("checkout unavailable", extra={"donation": donation.public_id,
                                                   "provider": provider.name,
                                                   "error": str(unavailable)})
        ledger.fail_checkout(donation, str(unavailable))
        return CheckoutResult(error=f"{unavailable} Nothing was charged; please try again.")
    ledger.record_checkout(donation, checkout.provider_ref, checkout.redirect_url,
                           checkout.subscription_ref)
    return CheckoutResult(redirect_url=checkout.redirect_url)


def _closed_message(donation: Donation) -> str:
    if donation.status == DonationStatus.FAILED:
        return _("The payment provider could not start this donation. Nothing was charged.")
    return _("This donation is already %(status)s.", status=status_words(donation.status))
