"""GET /paypal/return/<id>: the reader is back from PayPal; capture (once) and show the wait."""

from flask import Blueprint, abort, redirect, render_template, url_for
from sqlalchemy import select

from donate.extensions import db
from donate.ledger.models import Donation
from donate.payments import inbox
from donate.payments.base import ProviderError
from donate.payments.registry import provider_named

bp = Blueprint("paypal", __name__)


@bp.get("/paypal/return/<donation_id>")
def returned(donation_id: str):
    """Reloading this page is safe: the capture's request id makes PayPal answer once."""
    provider = provider_named("paypal")
    donation = db.session.scalar(select(Donation).where(Donation.public_id == donation_id,
                                                        Donation.provider == "paypal"))
    if provider is None or donation is None or not donation.checkout_ref:
        abort(404)
    try:
        inbox.take_in(provider, provider.on_return(donation))
    except ProviderError as problem:
        return render_template("widget/thanks.html", donation=donation, cancelled=False,
                               problem=str(problem), try_again=url_for(
                                   "paypal.returned", donation_id=donation_id)), 502
    return redirect(url_for("widget.thanks", donation_id=donation_id), 303)
