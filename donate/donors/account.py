"""The signed-in donor's pages: gifts, pledges, receipts, preferences, export and erasure."""

from datetime import datetime
from functools import wraps

from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from donate.donors import privacy, selfservice
from donate.donors.routes import bp
from donate.extensions import db
from donate.ledger.models import Donation, Donor, Pledge
from donate.mail.annual import COUNTED
from donate.money import Money
from donate.newsletter.models import Subscriber
from donate.newsletter.service import sign_up, unsubscribe, unsubscribe_token


def donor_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        donor = db.session.get(Donor, session.get("donor_id") or 0)
        if donor is None or donor.erased_at is not None:
            return redirect(url_for("donors.manage"))
        return view(donor, *args, **kwargs)

    return wrapper


@bp.get("/manage/donations")
@donor_required
def donations(donor: Donor):
    """The donor's gifts and monthly pledges, with what they can do about them."""
    gifts = db.session.scalars(select(Donation).where(Donation.donor_id == donor.id)
                               .order_by(Donation.created_at.desc())).all()
    pledges = db.session.scalars(select(Pledge).where(Pledge.donor_id == donor.id)
                                 .order_by(Pledge.created_at.desc())).all()
    years = sorted({gift.completed_at.year for gift in gifts
                    if gift.completed_at and gift.status in COUNTED}, reverse=True)
    subscriber = db.session.scalar(select(Subscriber).where(Subscriber.email == donor.email))
    return render_template("donors/donations.html", donor=donor, gifts=gifts, pledges=pledges,
                           years=years, subscriber=subscriber, live=selfservice.LIVE,
                           pledge_status_words=selfservice.pledge_status_words)


@bp.post("/manage/pledges/<pledge_id>/<action>")
@donor_required
def change_pledge(donor: Donor, pledge_id: str, action: str):
    """Stop a monthly donation, change its amount, or update its card (at the provider)."""
    pledge = selfservice.own_pledge(donor, pledge_id)
    if pledge is None or action not in {"cancel", "amount", "card"}:
        return render_template("error.html", code=404, message=_("There is nothing here.")), 404
    back = url_for("donors.donations", _external=True)
    outcome = {"cancel": lambda: selfservice.cancel(pledge),
               "amount": lambda: selfservice.change_amount(pledge, request.form.get(
                   "amount", ""), back),
               "card": lambda: selfservice.card_page(pledge, back)}[action]()
    if outcome.message:
        flash(outcome.message, "ok" if outcome.ok else "error")
    return redirect(outcome.redirect_url or url_for("donors.donations"), 303)


@bp.get("/manage/receipts/<donation_id>")
@donor_required
def receipt(donor: Donor, donation_id: str):
    """A printable receipt for one completed gift."""
    gift = db.session.scalar(select(Donation).where(Donation.public_id == donation_id,
                                                    Donation.donor_id == donor.id))
    if gift is None or not gift.receipt_number:
        return render_template("error.html", code=404, message=_("There is nothing here.")), 404
    return render_template("donors/receipt.html", donor=donor, gift=gift)


@bp.get("/manage/summary/<int:year>")
@donor_required
def summary(donor: Donor, year: int):
    """The year's giving summary, printable."""
    gifts = [gift for gift in db.session.scalars(select(Donation).where(
        Donation.donor_id == donor.id, Donation.status.in_(COUNTED),
        Donation.completed_at >= datetime(year, 1, 1),
        Donation.completed_at < datetime(year + 1, 1, 1)).order_by(Donation.completed_at))]
    totals: dict[str, int] = {}
    for gift in gifts:
        totals[gift.currency] = totals.get(gift.currency, 0) + gift.charged_minor \
            - gift.refunded_minor
    return render_template("donors/summary.html", donor=donor, year=year, gifts=gifts,
                           totals=[Money(minor, code) for code, minor in sorted(totals.items())])


@bp.post("/manage/newsletter")
@donor_required
def newsletter(donor: Donor):
    """Subscribe (by the usual confirmation email) or unsubscribe at once."""
    subscriber = db.session.scalar(select(Subscriber).where(Subscriber.email == donor.email))
    if request.form.get("action") == "unsubscribe" and subscriber is not None:
        unsubscribe(unsubscribe_token(subscriber))
        flash(_("You will not get the newsletter any more."), "ok")
    elif request.form.get("action") == "subscribe":
        sign_up(donor.email, url_for("donors.donations", _external=True))
        flash(_("Check your inbox to confirm the newsletter."), "ok")
    return redirect(url_for("donors.donations"), 303)


@bp.get("/manage/export.json")
@donor_required
def export(donor: Donor):
    """Everything we hold about the donor, to take elsewhere."""
    response = jsonify(privacy.export(donor))
    response.headers["Content-Disposition"] = "attachment; filename=my-donations.json"
    return response


@bp.post("/manage/erase")
@donor_required
def erase(donor: Donor):
    """Erase the donor's personal data; financial records stay as the law requires."""
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm that you want your data erased."), "error")
        return redirect(url_for("donors.donations"), 303)
    try:
        privacy.erase(donor)
    except ValueError as refused:
        flash(str(refused), "error")
        return redirect(url_for("donors.donations"), 303)
    session.clear()
    return render_template("donors/erased.html")


@bp.post("/manage/signout")
def sign_out():
    session.clear()
    return redirect(url_for("donors.manage"), 303)
