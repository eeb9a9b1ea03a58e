"""CSV downloads of donations, donors, pledges and subscribers, with the lists' filters."""

from flask import abort, request

from donate.extensions import db
from donate.ledger.models import utcnow
from donate.newsletter.models import Subscriber
from donate.staff import bp, export_rows
from donate.staff.access import audit
from donate.staff.csvstream import csv_chunks, streamed_csv
from donate.staff.filters import (
    day_range,
    donation_conditions,
    donor_conditions,
    pledge_conditions,
)
from donate.staff.forms import (
    DonationFilterForm,
    DonorSearchForm,
    FilterForm,
    PledgeFilterForm,
)


def _download(name: str, form, conditions_of, header: list[str], rows_of):
    """Check the filters, note the export in the audit log, then stream the file.

    Bad filters are refused rather than ignored: an export of everything, when the staff
    member meant a few rows, is a leak.
    """
    if not form.validate():
        abort(400, description="; ".join(f"{form[name].label.text}: {errors[0]}"
                                         for name, errors in form.errors.items()))
    audit("export", f"{name}.csv", filters=request.args.to_dict())
    db.session.commit()
    filename = f"{name}-{utcnow().date().isoformat()}.csv"
    return streamed_csv(filename, csv_chunks(header, rows_of(conditions_of(form.data))))


@bp.get("/exports/donations.csv")
def export_donations():
    """Donations, oldest first; amounts in minor units (and amount_major as text)."""
    return _download("donations", DonationFilterForm(request.args), donation_conditions,
                     export_rows.DONATION_HEADER, export_rows.donation_rows)


@bp.get("/exports/pledges.csv")
def export_pledges():
    """Monthly pledges, oldest first."""
    return _download("pledges", PledgeFilterForm(request.args), pledge_conditions,
                     export_rows.PLEDGE_HEADER, export_rows.pledge_rows)


@bp.get("/exports/donors.csv")
def export_donors():
    """Donors, with their newsletter status."""
    return _download("donors", DonorSearchForm(request.args), donor_conditions,
                     export_rows.DONOR_HEADER, export_rows.donor_rows)


@bp.get("/exports/subscribers.csv")
def export_subscribers():
    """Confirmed newsletter subscribers with their proof of consent; dates filter confirmation."""
    return _download("subscribers", FilterForm(request.args),
                     lambda values: day_range(Subscriber.confirmed_at, values.get("date_from"),
                                              values.get("date_to")),
                     export_rows.SUBSCRIBER_HEADER, export_rows.subscriber_rows)
