"""Signing in and out. Wrong, unknown, locked and disabled all get the same answer."""

import time

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from donate.extensions import db, limiter
from donate.staff import bp
from donate.staff.access import audit, safe_next_url
from donate.staff.accounts import authenticate
from donate.staff.forms import LoginForm

NOT_SIGNED_IN = ("That email and password do not match an active staff account. After {after} "
                 "wrong passwords in a row an account is locked for {minutes} minutes.")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["STAFF_LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """The sign-in form; a good password opens the page the staff member asked for."""
    if current_user.is_authenticated:
        return redirect(url_for("staff.dashboard"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        signed_in = authenticate(form.email.data, form.password.data)
        if signed_in.ok:
            next_url = safe_next_url(request.args.get("next"), url_for("staff.dashboard"))
            session.clear()  # nothing from before signing in carries over
            login_user(signed_in.user)
            session["staff_since"] = session["staff_seen"] = int(time.time())
            return redirect(next_url, 303)
        error = NOT_SIGNED_IN.format(after=current_app.config["STAFF_LOCKOUT_AFTER"],
                                     minutes=current_app.config["STAFF_LOCKOUT_MINUTES"])
    return render_template("staff/login.html", form=form, error=error)


@bp.post("/logout")
def logout():
    """Sign out (a POST with the CSRF token, so another site cannot sign staff out)."""
    audit("logout", f"staff_user:{current_user.id}")
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("staff.login"), 303)
