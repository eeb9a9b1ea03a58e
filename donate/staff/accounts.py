"""Staff account use cases: create, authenticate (with lockout), change role, disable."""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from donate.emails import read_email
from donate.extensions import db
from donate.ledger.models import utcnow
from donate.staff.access import audit
from donate.staff.models import Role, StaffUser

MIN_PASSWORD = 12
#: Checked against when the address is unknown, so that a wrong address takes as long as a
#: wrong password and response times do not tell which addresses have accounts.
_UNKNOWN_USER_HASH = generate_password_hash("not a real password", method="scrypt")


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message is for the staff member."""


@dataclass(frozen=True)
class SignIn:
    user: StaffUser | None  #: the account, when the password was right and it may sign in

    @property
    def ok(self) -> bool:
        return self.user is not None


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"A staff password has at least {MIN_PASSWORD} characters")
    return generate_password_hash(password, method="scrypt")


def create_staff(email: str, password: str, role: str) -> StaffUser:
    """Add an account (the caller commits, with its audit entry); raise AccountError."""
    try:
        email = read_email(email)
    except ValueError as bad:
        raise AccountError(str(bad)) from None
    if role not in Role.ALL:
        raise AccountError(f"The role is one of {', '.join(Role.ALL)}")
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)):
        raise AccountError(f"{email} already has a staff account")
    user = StaffUser(email=email, password_hash=hash_password(password), role=role)
    db.session.add(user)
    db.session.flush()
    audit("staff_created", f"staff_user:{user.id}", email=email, role=role)
    return user


def authenticate(email: str, password: str) -> SignIn:
    """Check a sign-in and commit what it changed; a locked account is refused unchecked."""
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower())
                             .with_for_update())
    if user is None:
        check_password_hash(_UNKNOWN_USER_HASH, password)
        return SignIn(None)
    password_ok = check_password_hash(user.password_hash, password)
    now = utcnow()
    if user.locked_until and user.locked_until > now or not user.active:
        audit("login_refused", f"staff_user:{user.id}", actor=user,
              reason="locked" if user.active else "disabled")
    elif not password_ok:
        _count_failure(user)
    else:
        user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
        audit("login", f"staff_user:{user.id}", actor=user)
        db.session.commit()
        return SignIn(user)
    db.session.commit()
    return SignIn(None)


def _count_failure(user: StaffUser) -> None:
    user.failed_logins += 1
    details = {"failed_logins": user.failed_logins}
    if user.failed_logins >= current_app.config["STAFF_LOCKOUT_AFTER"]:
        minutes = current_app.config["STAFF_LOCKOUT_MINUTES"]
        user.locked_until = utcnow() + timedelta(minutes=minutes)
        user.failed_logins = 0  # after the lock, a fresh count
        details["locked_minutes"] = minutes
    audit("login_failed", f"staff_user:{user.id}", actor=user, **details)


def active_admins() -> int:
    return db.session.scalar(select(func.count(StaffUser.id)).where(
        StaffUser.role == Role.ADMIN, StaffUser.active.is_(True)))


def change_role(user: StaffUser, role: str) -> None:
    """Give an account another role (the caller commits); the last admin stays an admin."""
    if role not in Role.ALL:
        raise AccountError(f"The role is one of {', '.join(Role.ALL)}")
    if user.is_admin and role != Role.ADMIN and user.active and active_admins() <= 1:
        raise AccountError("This is the last active admin; make someone else admin first")
    audit("role_changed", f"staff_user:{user.id}", email=user.email, old=user.role, new=role)
    user.role = role


def set_active(user: StaffUser, active: bool) -> None:
    """Disable (ending its sessions) or enable (and unlock) an account; the caller commits."""
    if not active and user.is_admin and user.active and active_admins() <= 1:
        raise AccountError("This is the last active admin; make someone else admin first")
    user.active = active
    if active:
        user.failed_logins, user.locked_until = 0, None
    audit("staff_enabled" if active else "staff_disabled", f"staff_user:{user.id}",
          email=user.email)
