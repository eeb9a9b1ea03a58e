"""Rate limits on checkout creation: per address, per network, per email, stricter under attack.

Flask-Limiter counts in RATELIMIT_STORAGE_URI: memory:// for one process, redis://... shared by
every instance in production. Each limit has its own key function; the per-email limit counts
only requests that give an email address; the strict one only networks under pressure (see
velocity). A limited request is answered 429 with a Retry-After in whole seconds, at least 1.
"""

import math
import time
from collections.abc import Callable

from flask import current_app, request

from donate.abuse.networks import client_network
from donate.abuse.velocity import strict_here
from donate.emails import read_email
from donate.extensions import limiter


def network_key() -> str:
    return "network:" + client_network()


def strict_network_key() -> str:
    return "strict:" + client_network()


def submitted_email() -> str | None:
    """The email address the request gives, normalised; None if it gives none or a bad one
    (which the request's own checks refuse before anything is written)."""
    fields = request.get_json(silent=True) if request.is_json else request.form
    value = fields.get("email") if isinstance(fields, dict) else None  # forms are dicts too
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return read_email(value.strip())
    except ValueError:
        return None


def email_key() -> str:
    return "email:" + (submitted_email() or "")


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def limit_checkout(view: Callable) -> Callable:
    """Every limit on checkout creation, for POST /donations."""
    for limit in (
        limiter.limit(_setting("DONATION_RATE_LIMIT")),
        limiter.limit(_setting("DONATION_NETWORK_RATE_LIMIT"), key_func=network_key),
        limiter.limit(_setting("STRICT_RATE_LIMIT"), key_func=strict_network_key,
                      exempt_when=lambda: not strict_here()),
        limiter.limit(_setting("DONATION_EMAIL_RATE_LIMIT"), key_func=email_key,
                      exempt_when=lambda: submitted_email() is None),
    ):
        view = limit(view)
    return view


def retry_after_seconds() -> int:
    """Whole seconds until the breached limit lets this client in again (at least 1)."""
    breached = limiter.current_limit
    if breached is None:
        return 60
    window = breached.limit.get_expiry()
    return min(max(1, math.ceil(breached.reset_at - time.time())), window)
