"""Erasing a donor's personal data from the staff side (the donor can do it themselves too)."""

from flask import flash, redirect, url_for

from donate.donors import privacy
from donate.extensions import db
from donate.ledger.models import Donor
from donate.staff import bp
from donate.staff.access import admin_required, audit
from donate.staff.forms import ConfirmForm


@bp.post("/donors/<int:donor_id>/erase")
@admin_required
def erase_donor(donor_id: int):
    """Anonymise the donor; the audit entry names the donor by id only, never by address."""
    donor = db.session.get(Donor, donor_id)
    if donor is None or donor.erased_at is not None:
        flash("There is no such donor, or their data is erased already.", "error")
        return redirect(url_for("staff.donors"), 303)
    if not ConfirmForm().validate_on_submit():
        flash("Tick the box to confirm the erasure.", "error")
        return redirect(url_for("staff.donor", donor_id=donor_id), 303)
    audit("donor_erased", f"donor:{donor_id}")
    try:
        privacy.erase(donor)  # commits the audit entry with the erasure
    except ValueError as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        flash("The donor's personal data is erased; their donations stay, anonymous.", "ok")
    return redirect(url_for("staff.donor", donor_id=donor_id), 303)
