"""Who may see and do what on the staff pages, and the audit log of what they did."""

import time
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user

from donate.extensions import db, login_manager
from donate.staff import bp
from donate.staff.models import StaffAuditEntry, StaffUser

#: The only staff pages open to someone not signed in.
PUBLIC_ENDPOINTS = {"staff.login"}

login_manager.login_view = "staff.login"
login_manager.login_message = "Please sign in to see the staff pages."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_staff_user(user_id: str) -> StaffUser | None:
    """The signed-in account, unless it was disabled since: then its sessions end too."""
    user = db.session.get(StaffUser, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


#: How often the session's "last seen" time is rewritten (each rewrite is a new cookie).
SEEN_RESOLUTION_SECONDS = 60


@bp.before_request
def require_sign_in():
    """Every staff page needs a signed-in account, so no view can forget to ask for one; a
    session left idle or open too long has ended."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    now = int(time.time())
    config = current_app.config
    idle = now - session.get("staff_seen", now) > config["STAFF_IDLE_MINUTES"] * 60
    old = now - session.get("staff_since", now) > config["STAFF_SESSION_HOURS"] * 3600
    if idle or old:
        logout_user()
        session.clear()
        flash("You were signed out after " + (
            f"{config['STAFF_IDLE_MINUTES']} minutes without activity." if idle else
            f"{config['STAFF_SESSION_HOURS']} hours. Please sign in again."), "info")
        return redirect(url_for("staff.login", next=request.full_path))
    if now - session.get("staff_seen", 0) >= SEEN_RESOLUTION_SECONDS:
        session["staff_seen"] = now  # the cookie is signed: a client cannot move these
    session.setdefault("staff_since", now)
    return None


@bp.after_request
def keep_out_of_caches(response):
    # Staff pages hold donors' personal data: no shared or back-button caches.
    response.headers["Cache-Control"] = "no-store"
    return response


def admin_required(view: Callable) -> Callable:
    """For actions that change money, email or accounts: admins only (viewers get 403)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def audit(action: str, target: str | None = None, actor: StaffUser | None = None,
          **details) -> StaffAuditEntry:
    """Add an audit entry to the current transaction: the action's own commit writes it."""
    if actor is None and current_user and current_user.is_authenticated:
        actor = current_user
    entry = StaffAuditEntry(staff_user_id=actor.id if actor else None, action=action,
                            target=target, details=details)
    db.session.add(entry)
    return entry


def safe_next_url(candidate: str | None, default: str) -> str:
    """`next` after sign-in, only if it is one of our staff pages (no open redirect)."""
    if not candidate:
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or not parts.path.startswith("/staff/") \
            or "\\" in candidate:
        return default
    return candidate
