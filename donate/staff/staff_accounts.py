"""Staff management for admins: add accounts, change roles, disable; and the audit log."""

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from donate.extensions import db
from donate.staff import bp
from donate.staff.access import admin_required
from donate.staff.accounts import AccountError, change_role, create_staff, set_active
from donate.staff.forms import NewStaffForm, RoleForm
from donate.staff.models import StaffAuditEntry, StaffUser


def _accounts_page(form: NewStaffForm, status: int = 200):
    users = db.session.scalars(select(StaffUser).order_by(StaffUser.email)).all()
    return render_template("staff/accounts.html", users=users, form=form,
                           roles=RoleForm().role.choices), status


@bp.get("/accounts")
@admin_required
def accounts():
    """Every staff account, with its role and state."""
    return _accounts_page(NewStaffForm())


@bp.post("/accounts")
@admin_required
def add_account():
    """Add a staff account with a first password (tell it to them out of band)."""
    form = NewStaffForm()
    if not form.validate_on_submit():
        return _accounts_page(form, 400)
    try:
        user = create_staff(form.email.data, form.password.data, form.role.data)
    except AccountError as refused:
        form.email.errors.append(str(refused))
        return _accounts_page(form, 400)
    db.session.commit()
    flash(f"{user.email} can now sign in as {user.role}.", "success")
    return redirect(url_for("staff.accounts"), 303)


def _change(user_id: int, change) -> object:
    user = db.session.get(StaffUser, user_id) or abort(404)
    try:
        change(user)
    except AccountError as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(f"{user.email} is now {user.role}, {'active' if user.active else 'disabled'}.",
              "success")
    return redirect(url_for("staff.accounts"), 303)


@bp.post("/accounts/<int:user_id>/role")
@admin_required
def set_role(user_id: int):
    """Make an account admin or viewer."""
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400, description="Pick admin or viewer")
    return _change(user_id, lambda user: change_role(user, form.role.data))


@bp.post("/accounts/<int:user_id>/disable")
@admin_required
def disable(user_id: int):
    """Stop an account from signing in; its open sessions end at their next request."""
    return _change(user_id, lambda user: set_active(user, False))


@bp.post("/accounts/<int:user_id>/enable")
@admin_required
def enable(user_id: int):
    """Let a disabled (or locked) account sign in again."""
    return _change(user_id, lambda user: set_active(user, True))


@bp.get("/audit")
@admin_required
def audit_log():
    """The latest staff actions, newest first."""
    entries = db.session.scalars(select(StaffAuditEntry)
                                 .options(joinedload(StaffAuditEntry.staff_user))
                                 .order_by(StaffAuditEntry.id.desc()).limit(200)).all()
    return render_template("staff/audit.html", entries=entries)
