"""/manage: a donor asks for a link by email, opens it, and sees their donations."""

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from donate.donors.links import send_manage_link, use_link
from donate.emails import read_email
from donate.extensions import csrf, limiter
from donate.mail.render import tax_line

bp = Blueprint("donors", __name__)
bp.add_app_template_global(tax_line)


@bp.get("/manage")
def manage():
    """Ask for a link by email."""
    return render_template("donors/request_link.html")


@bp.post("/manage")
@limiter.limit(lambda: current_app.config["MAGIC_LINK_RATE_LIMIT"])
def request_link():
    """Always the same answer, known address or not (no enumeration)."""
    email = (request.form.get("email") or "").strip()
    try:
        email = read_email(email)
    except ValueError as bad:
        return render_template("donors/request_link.html", error=str(bad), email=email), 400
    send_manage_link(email)
    sent = _("If we know this address, a link to manage your donations is on its way. "
             "It works once, for an hour.")
    return render_template("donors/request_link.html", sent=sent), 202


@bp.get("/manage/link/<token>")
def open_link(token: str):
    """A button, not an action: mail scanners follow GET links and must not use them up."""
    return render_template("donors/open_link.html", token=token)


@bp.post("/manage/link/<token>")
@csrf.exempt  # authorised by the signed link itself; there is no session yet
def use(token: str):
    """Use the link up and sign the donor in to their page."""
    donor_id = use_link(token)
    if donor_id is None:
        return render_template("donors/open_link.html", expired=True), 400
    session.clear()
    session["donor_id"] = donor_id
    return redirect(url_for("donors.donations"), 303)
