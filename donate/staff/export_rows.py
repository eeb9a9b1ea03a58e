"""What each CSV export holds: its header and its rows, read through a server-side cursor.

Money is integer minor units, as everywhere; `amount_major` repeats the amount as text such as
"10.41" for people who open the file in a spreadsheet. Times are UTC, ISO 8601.
"""

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Select, select

from donate.extensions import db
from donate.ledger.models import Donation, Donor, Pledge
from donate.money import Money
from donate.newsletter.models import Subscriber
from donate.newsletter.service import confirmed_subscribers_query

#: Rows fetched from the database at a time (PostgreSQL: a server-side cursor).
FETCH_ROWS = 2000
FREQUENCY = {"installment": "monthly"}

DONATION_HEADER = ["id", "created_at", "status", "amount", "currency", "frequency", "provider",
                   "email", "source", "amount_major", "fee", "refunded", "receipt_number",
                   "kind", "completed_at"]
PLEDGE_HEADER = ["id", "created_at", "status", "amount", "currency", "frequency", "provider",
                 "email", "source", "amount_major", "fee", "activated_at", "cancelled_at"]
DONOR_HEADER = ["id", "email", "name", "created_at", "newsletter"]
SUBSCRIBER_HEADER = ["email", "confirmed_at", "consent_at", "consent_source", "consent_text"]


def iso(moment: datetime | None) -> str:
    return f"{moment.isoformat(timespec='seconds')}Z" if moment else ""


def streamed(query: Select):
    """The query's rows, fetched FETCH_ROWS at a time instead of all at once."""
    return db.session.execute(query.execution_options(yield_per=FETCH_ROWS))


def donation_rows(conditions: list) -> Iterator[list]:
    query = (select(Donation.public_id, Donation.created_at, Donation.status,
                    Donation.charged_minor, Donation.currency, Donation.kind, Donation.provider,
                    Donor.email, Donation.source, Donation.fee_minor, Donation.refunded_minor,
                    Donation.receipt_number, Donation.completed_at)
             .outerjoin(Donor, Donor.id == Donation.donor_id).where(*conditions)
             .order_by(Donation.created_at, Donation.id))
    for row in streamed(query):
        yield [row.public_id, iso(row.created_at), row.status, row.charged_minor, row.currency,
               FREQUENCY.get(row.kind, "once"), row.provider, row.email or "", row.source or "",
               Money(row.charged_minor, row.currency).major_text(), row.fee_minor,
               row.refunded_minor, row.receipt_number or "", row.kind, iso(row.completed_at)]


def pledge_rows(conditions: list) -> Iterator[list]:
    charged = Pledge.amount_minor + Pledge.fee_minor
    query = (select(Pledge.public_id, Pledge.created_at, Pledge.status, charged.label("charged"),
                    Pledge.currency, Pledge.provider, Donor.email, Pledge.source,
                    Pledge.fee_minor, Pledge.activated_at, Pledge.cancelled_at)
             .outerjoin(Donor, Donor.id == Pledge.donor_id).where(*conditions)
             .order_by(Pledge.created_at, Pledge.id))
    for row in streamed(query):
        yield [row.public_id, iso(row.created_at), row.status, row.charged, row.currency,
               "monthly", row.provider, row.email or "", row.source or "",
               Money(row.charged, row.currency).major_text(), row.fee_minor,
               iso(row.activated_at), iso(row.cancelled_at)]


def donor_rows(conditions: list) -> Iterator[list]:
    query = (select(Donor.id, Donor.email, Donor.name, Donor.created_at, Subscriber.status)
             .outerjoin(Subscriber, Subscriber.email == Donor.email).where(*conditions)
             .order_by(Donor.created_at, Donor.id))
    for row in streamed(query):
        yield [row.id, row.email, row.name or "", iso(row.created_at), row.status or ""]


def subscriber_rows(conditions: list) -> Iterator[list]:
    for subscriber in db.session.scalars(confirmed_subscribers_query().where(*conditions)
                                         .execution_options(yield_per=FETCH_ROWS)):
        yield [subscriber.email, iso(subscriber.confirmed_at), iso(subscriber.consent_at),
               subscriber.consent_source or "", subscriber.consent_text]
