"""The donations list (filters, keyset pages) and one donation's page, with its refund form."""

from flask import abort, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from donate.extensions import db
from donate.ledger.models import Donation
from donate.money import Money
from donate.payments.refunds import REFUNDABLE
from donate.staff import bp
from donate.staff.filters import donation_conditions
from donate.staff.forms import DonationFilterForm, RefundForm
from donate.staff.keyset import keyset_page

FILTERS = ("date_from", "date_to", "status", "provider", "currency", "frequency", "source")


def filter_args() -> dict:
    """The filters as given, to carry into page links and the CSV link."""
    return {name: value for name, value in request.args.items() if value and name in FILTERS}


@bp.get("/donations")
def donations():
    """Donations, newest first, filtered by date, status, provider, currency, frequency, page."""
    form = DonationFilterForm(request.args)
    if not form.validate():
        return render_template("staff/donations.html", form=form, page=None,
                               filters=filter_args()), 400
    query = (select(Donation).options(joinedload(Donation.donor))
             .where(*donation_conditions(form.data)))
    page = keyset_page(query, Donation.created_at, Donation.id, request.args.get("after"))
    return render_template("staff/donations.html", form=form, page=page, filters=filter_args())


def donation_or_404(public_id: str) -> Donation:
    donation = db.session.scalar(select(Donation).where(Donation.public_id == public_id))
    return donation if donation is not None else abort(404)


def left_to_refund(donation: Donation) -> Money:
    return Money(donation.charged_minor - donation.refunded_minor, donation.currency)


@bp.get("/donations/<public_id>")
def donation(public_id: str):
    """Everything about one donation; admins also get the refund form."""
    donation = donation_or_404(public_id)
    return render_template("staff/donation.html", donation=donation,
                           left=left_to_refund(donation),
                           refundable=donation.status in REFUNDABLE, form=RefundForm())
