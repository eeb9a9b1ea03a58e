"""A donor's data rights: export everything we hold, erase what the law lets us.

Erasure anonymises the donor (email, name) everywhere they appear — the donor row, the
newsletter, emails not yet sent and the text of those sent, raw provider payloads — and keeps
the financial records the law requires (amounts, dates, receipt numbers) for RETENTION_YEARS.
"""

import json
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update

from donate.donors.models import DonorLink
from donate.extensions import db
from donate.ledger.models import Donation, Donor, Pledge, ProviderEvent, utcnow
from donate.ledger.states import DonationStatus, PledgeStatus
from donate.newsletter.models import Subscriber
from donate.outbox.models import OutboxMessage, OutboxStatus

ERASED = "[erased]"


def export(donor: Donor) -> dict:
    """Everything we hold about a donor, as plain data (amounts in minor units)."""
    donations = db.session.scalars(select(Donation).where(Donation.donor_id == donor.id)
                                   .order_by(Donation.created_at)).all()
    pledges = db.session.scalars(select(Pledge).where(Pledge.donor_id == donor.id)).all()
    subscriber = db.session.scalar(select(Subscriber).where(Subscriber.email == donor.email))
    return {
        "donor": {"email": donor.email, "name": donor.name, "since": _iso(donor.created_at)},
        "donations": [{"id": d.public_id, "created_at": _iso(d.created_at), "status": d.status,
                       "amount": d.amount_minor, "fee": d.fee_minor, "charged": d.charged_minor,
                       "refunded": d.refunded_minor, "currency": d.currency,
                       "frequency": d.frequency, "provider": d.provider, "source": d.source,
                       "receipt_number": d.receipt_number} for d in donations],
        "pledges": [{"id": p.public_id, "created_at": _iso(p.created_at), "status": p.status,
                     "monthly": p.charged_minor, "currency": p.currency,
                     "provider": p.provider} for p in pledges],
        "newsletter": None if subscriber is None else {
            "status": subscriber.status, "consent_at": _iso(subscriber.consent_at),
            "consent_source": subscriber.consent_source,
            "consent_text": subscriber.consent_text,
            "confirmed_at": _iso(subscriber.confirmed_at)},
    }


def live_pledges(donor: Donor) -> list[Pledge]:
    return list(db.session.scalars(select(Pledge).where(
        Pledge.donor_id == donor.id,
        Pledge.status.in_([PledgeStatus.ACTIVE, PledgeStatus.PAST_DUE]))))


def erase(donor: Donor) -> None:
    """Anonymise a donor in one transaction. Refuses while a monthly donation still runs."""
    if live_pledges(donor):
        raise ValueError(_("Stop the monthly donations first; they would keep charging."))
    email, name = donor.email, donor.name
    _scrub_mail(email, name)
    _scrub_provider_events(email, name)
    db.session.execute(delete(Subscriber).where(Subscriber.email == email))
    db.session.execute(delete(DonorLink).where(DonorLink.donor_id == donor.id))
    donor.email = f"erased-{secrets.token_hex(8)}@erased.invalid"
    donor.name = None
    donor.erased_at = utcnow()
    db.session.commit()


def _scrub_mail(email: str, name: str | None) -> None:
    to_donor = OutboxMessage.to_address == email
    db.session.execute(delete(OutboxMessage).where(
        to_donor, OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.DEAD])))
    db.session.execute(update(OutboxMessage).where(to_donor).values(
        to_address=ERASED, subject=ERASED, body_text=ERASED, body_html=None, headers={}))


def _scrub_provider_events(email: str, name: str | None) -> None:
    """Raw payloads keep the amounts and ids; the donor's address and name go."""
    needles = [value for value in (email, name) if value]
    needles += [json.dumps(value)[1:-1] for value in needles]  # as JSON escapes them
    rows = db.session.scalars(select(ProviderEvent).where(or_(*[
        func.lower(ProviderEvent.payload).contains(needle.lower()) for needle in needles])))
    for row in rows:
        for needle in needles:
            row.payload = _replace_ignoring_case(row.payload, needle, ERASED)


def _replace_ignoring_case(text: str, needle: str, replacement: str) -> str:
    lowered, target, start, parts = text.lower(), needle.lower(), 0, []
    while (found := lowered.find(target, start)) >= 0:
        parts += [text[start:found], replacement]
        start = found + len(needle)
    return "".join(parts) + text[start:]


def purge(now: datetime | None = None) -> tuple[int, int]:
    """Delete abandoned pending donations after the grace period; anonymise donors whose
    last gift is older than the retention period. Returns (deleted, anonymised)."""
    now = now or utcnow()
    config = current_app.config
    abandoned = select(Donation.id).where(
        Donation.status == DonationStatus.PENDING, Donation.kind == "one_time",
        Donation.created_at < now - timedelta(days=config["PENDING_GRACE_DAYS"]))
    deleted = db.session.execute(delete(Donation).where(Donation.id.in_(abandoned))).rowcount
    db.session.commit()
    cutoff = now - timedelta(days=365 * config["RETENTION_YEARS"])
    last_gift = select(func.max(Donation.created_at)).where(Donation.donor_id == Donor.id)
    expired = db.session.scalars(select(Donor).where(
        Donor.erased_at.is_(None), last_gift.scalar_subquery() < cutoff)).all()
    for donor in expired:
        erase(donor)
    return deleted, len(expired)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment else None
