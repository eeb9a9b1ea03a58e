"""The way provider events enter the ledger: verify, store, then apply (once)."""

from collections.abc import Mapping

from donate.ledger import service as ledger
from donate.ledger.models import ProviderEvent
from donate.payments.base import InboundEvent, Provider


def receive(provider: Provider, headers: Mapping[str, str], raw_body: bytes,
            apply: bool = True) -> tuple[str, str | None]:
    """Verify a webhook delivery and take it in; raises WebhookRejected on a bad one.

    Returns the event id and why applying it failed, if it did. With `apply` off the event
    is only stored (a repeat changes nothing) and the events worker applies it.
    """
    inbound = provider.verify_webhook(headers, raw_body)
    if not apply:
        ledger.store_provider_event(provider.name, inbound.event_id, inbound.type,
                                    inbound.payload)
        return inbound.event_id, None
    row, _ = take_in(provider, inbound)
    return row.event_id, row.error


def take_in(provider: Provider, inbound: InboundEvent) -> tuple[ProviderEvent, bool]:
    """Store a verified event and apply it if not yet done; say whether it was new to us."""
    row, new = ledger.record_provider_event(provider.name, inbound.event_id, inbound.type,
                                            inbound.payload)
    if new or row.processed_at is None:  # a new row is unprocessed: no need to reload it
        row = ledger.apply_provider_event(row.id, provider.translate)
        if row.error is None:  # something new happened: earlier events may apply now
            ledger.retry_deferred(provider.name, provider.translate)
    return row, new
