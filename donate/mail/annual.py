"""The annual giving summary: every gift of a year and the total per currency, per donor."""

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from donate.extensions import db
from donate.i18n import speaking
from donate.ledger.models import Donation, Donor
from donate.ledger.states import DonationStatus
from donate.mail.render import render_email
from donate.money import Money
from donate.outbox.enqueue import enqueue
from donate.urls import external_url

#: Gifts that count for the year: kept money, net of what was refunded.
COUNTED = (DonationStatus.COMPLETED, DonationStatus.PARTIALLY_REFUNDED)


def donors_who_gave(year: int) -> list[int]:
    return list(db.session.scalars(
        select(Donation.donor_id).where(*_in_year(year), Donation.donor_id.is_not(None))
        .distinct().order_by(Donation.donor_id)))


def _in_year(year: int) -> tuple:
    return (Donation.status.in_(COUNTED), Donation.completed_at >= datetime(year, 1, 1),
            Donation.completed_at < datetime(year + 1, 1, 1))


def enqueue_summaries(year: int) -> Iterator[bool]:
    """Enqueue each donor's summary, committing per donor; yields whether each was new."""
    for donor_id in donors_who_gave(year):
        donor = db.session.get(Donor, donor_id)
        gifts = db.session.scalars(select(Donation).where(Donation.donor_id == donor_id,
                                                          *_in_year(year))
                                   .order_by(Donation.completed_at)).all()
        totals: dict[str, int] = defaultdict(int)
        for gift in gifts:
            totals[gift.currency] += gift.charged_minor - gift.refunded_minor
        with speaking(donor.locale):
            rendered = render_email(
                "annual_summary", _("Your %(year)s giving summary", year=year), donor=donor,
                year=year, gifts=gifts, manage_url=external_url("donors.manage"),
                totals=[Money(minor, currency) for currency, minor in sorted(totals.items())])
        new = enqueue(kind="annual_summary", dedupe_key=f"annual:{donor_id}:{year}",
                      to=donor.email, subject=rendered.subject, text=rendered.text,
                      html=rendered.html) is not None
        db.session.commit()
        yield new
