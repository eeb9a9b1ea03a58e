"""The sandbox checkout page: pay, decline or cancel a donation with no real money."""

import json

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import select

from donate.extensions import csrf, db
from donate.ledger.models import Donation
from donate.payments import inbox
from donate.payments.providers.sandbox import OUTCOMES
from donate.payments.registry import provider_named

bp = Blueprint("sandbox", __name__)
csrf.exempt(bp)  # stands in for a provider's page, which knows nothing of our sessions


def _sandbox_donation(donation_id: str) -> Donation:
    donation = db.session.scalar(select(Donation).where(Donation.public_id == donation_id,
                                                        Donation.provider == "sandbox"))
    if donation is None or provider_named("sandbox") is None:
        abort(404)
    return donation


@bp.get("/sandbox/checkout/<donation_id>")
def checkout(donation_id: str):
    """Show the sandbox payment page for a donation."""
    return render_template("sandbox/checkout.html", donation=_sandbox_donation(donation_id))


@bp.post("/sandbox/checkout/<donation_id>")
def decide(donation_id: str):
    """Turn the reader's choice into a signed sandbox event and deliver it to the inbox."""
    donation = _sandbox_donation(donation_id)
    outcome = request.form.get("outcome")
    if outcome not in OUTCOMES:
        return render_template("sandbox/checkout.html", donation=donation,
                               error="Choose pay, decline or cancel."), 400
    provider = provider_named("sandbox")
    body = json.dumps(provider.outcome_event(donation, outcome)).encode()
    inbox.receive(provider, provider.sign(body), body)
    return redirect(url_for("widget.thanks", donation_id=donation.public_id), 303)
