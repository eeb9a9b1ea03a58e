"""The staff filters as SQL conditions: one definition for each list and its CSV export."""

from datetime import date, datetime, time, timedelta

from sqlalchemy import or_

from donate.ledger.models import Donation, Donor, Pledge

KINDS = {"once": "one_time", "monthly": "installment"}


def day_range(column, first: date | None, last: date | None) -> list:
    """`column` within whole UTC days from `first` to `last`, both included."""
    conditions = []
    if first:
        conditions.append(column >= datetime.combine(first, time.min))
    if last:
        conditions.append(column < datetime.combine(last + timedelta(days=1), time.min))
    return conditions


def donation_conditions(values: dict) -> list:
    """From DonationFilterForm.data; the list and donations.csv apply the same ones."""
    conditions = day_range(Donation.created_at, values.get("date_from"), values.get("date_to"))
    for name in ("status", "provider", "currency", "source"):
        if values.get(name):
            conditions.append(getattr(Donation, name) == values[name])
    if values.get("frequency") in KINDS:
        conditions.append(Donation.kind == KINDS[values["frequency"]])
    return conditions


def pledge_conditions(values: dict) -> list:
    conditions = day_range(Pledge.created_at, values.get("date_from"), values.get("date_to"))
    for name in ("status", "provider", "currency"):
        if values.get(name):
            conditions.append(getattr(Pledge, name) == values[name])
    return conditions


def donor_conditions(values: dict) -> list:
    """Email or name containing the search words (any case), and when the donor first gave."""
    conditions = day_range(Donor.created_at, values.get("date_from"), values.get("date_to"))
    words = (values.get("q") or "").strip()
    if words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(Donor.email.ilike(pattern, escape="\\"),
                              Donor.name.ilike(pattern, escape="\\")))
    return conditions
