"""Asking a provider to refund: the ledger changes only when the provider's event arrives."""

import logging
from dataclasses import dataclass

from donate.ledger.models import Donation
from donate.ledger.states import DonationStatus
from donate.money import Money
from donate.payments.base import ProviderError
from donate.payments.registry import provider_named

log = logging.getLogger("donate.refunds")
REFUNDABLE = {DonationStatus.COMPLETED, DonationStatus.PARTIALLY_REFUNDED}


@dataclass(frozen=True)
class RefundResult:
    ok: bool
    message: str


def request_refund(donation: Donation, amount: Money | None = None) -> RefundResult:
    """Ask the donation's provider to refund all of it, or `amount` of what is left."""
    if donation.status not in REFUNDABLE:
        return RefundResult(False, f"A {donation.status} donation cannot be refunded.")
    left = Money(donation.charged_minor - donation.refunded_minor, donation.currency)
    if amount is not None and (amount.currency != donation.currency
                               or not 0 < amount.minor <= left.minor):
        return RefundResult(False, f"Refund between {Money(1, donation.currency).format()} "
                                   f"and {left.format()}.")
    provider = provider_named(donation.provider)
    if provider is None:
        return RefundResult(False, f"{donation.provider} is not enabled here.")
    try:
        provider.refund(donation, amount)
    except (ProviderError, NotImplementedError) as refused:
        return RefundResult(False, str(refused))
    log.info("refund requested", extra={"donation": donation.public_id,
                                        "amount": amount.minor if amount else left.minor})
    return RefundResult(True, f"Refund of {(amount or left).format()} requested; the donation "
                              f"changes when {provider.name.title()} confirms it.")
