"""Donor search, and a donor's page: gifts, pledges, receipts sent, newsletter status."""

from flask import abort, render_template, request
from sqlalchemy import select

from donate.extensions import db
from donate.ledger.models import Donation, Donor, Pledge
from donate.newsletter.models import Subscriber
from donate.outbox.models import OutboxMessage
from donate.staff import bp
from donate.staff.filters import donor_conditions
from donate.staff.forms import DonorSearchForm
from donate.staff.keyset import keyset_page


@bp.get("/donors")
def donors():
    """Donors whose email or name contains the search words, newest first."""
    form = DonorSearchForm(request.args)
    if not form.validate():
        return render_template("staff/donors.html", form=form, page=None, filters={}), 400
    query = select(Donor).where(*donor_conditions(form.data))
    page = keyset_page(query, Donor.created_at, Donor.id, request.args.get("after"))
    filters = {name: value for name, value in request.args.items()
               if value and name in ("q", "date_from", "date_to")}
    return render_template("staff/donors.html", form=form, page=page, filters=filters)


@bp.get("/donors/<int:donor_id>")
def donor(donor_id: int):
    """One donor: all their donations and pledges, receipts we sent, newsletter status."""
    donor = db.session.get(Donor, donor_id) or abort(404)
    gifts = db.session.scalars(select(Donation).where(Donation.donor_id == donor.id)
                               .order_by(Donation.created_at.desc(), Donation.id.desc())).all()
    pledges = db.session.scalars(select(Pledge).where(Pledge.donor_id == donor.id)
                                 .order_by(Pledge.created_at.desc())).all()
    receipts = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == donor.email,
                                    OutboxMessage.kind == "receipt")
        .order_by(OutboxMessage.created_at.desc())).all()
    subscriber = db.session.scalar(select(Subscriber).where(Subscriber.email == donor.email))
    return render_template("staff/donor.html", donor=donor, gifts=gifts, pledges=pledges,
                           receipts=receipts, subscriber=subscriber)
