"""A signed time stamp in the widget form (`form_token`): nobody fills it in under a second.

The widget renders a token signed with SECRET_KEY holding the time in milliseconds. A plain
form post (the widget without JavaScript, answered with HTML) must bring a genuine token at
least MIN_FORM_SECONDS and at most FORM_TOKEN_MAX_AGE old; otherwise it is refused with a
message and the form comes back with a fresh token. JSON clients (the widget's script, API
clients) are held to the rate limits instead (see README, "What Stripe Radar and PayPal
already do, and what we add").
"""

import math
import time
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

FIELD = "form_token"
SALT = "donate.widget-form-token"
#: A token stamped further in the future than this comes from a forger (or a broken clock).
CLOCK_SKEW_SECONDS = 60
EXPIRED = _l("This form has expired or could not be checked. Please look over your donation "
             "and send it again.")
TOO_FAST = _l("That was quicker than we expected from a person. Please look over your "
              "donation and send it again.")


def _serializer() -> URLSafeSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"])


@cache
def _serializer_for(secret_key: str) -> URLSafeSerializer:
    """Built once per key: every widget view signs a token, and building one costs more than
    signing with it."""
    return URLSafeSerializer(secret_key, salt=SALT)


def issue_form_token(issued_at: float | None = None) -> str:
    """A token for a form rendered now (or at `issued_at`, seconds since the epoch)."""
    return form_token_signed_with(current_app.config["SECRET_KEY"], issued_at)


def form_token_signed_with(secret_key: str, issued_at: float | None = None) -> str:
    """issue_form_token() outside a request (the widget's fast lane)."""
    moment = time.time() if issued_at is None else issued_at
    # Floored, not rounded: a stamp rounded up lies up to half a millisecond in the future,
    # and a form checked within that half millisecond would read as filled in too fast.
    return _serializer_for(secret_key).dumps(math.floor(moment * 1000))


def form_token_problem(token: object) -> str | None:
    """Why a submitted token is not acceptable, as a message for the reader; None if it is."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return EXPIRED
    try:
        issued_ms = _serializer().loads(token)
    except BadSignature:
        return EXPIRED
    if type(issued_ms) is not int:
        return EXPIRED
    age = time.time() - issued_ms / 1000
    config = current_app.config
    if age > config["FORM_TOKEN_MAX_AGE"] or age < -CLOCK_SKEW_SECONDS:
        return EXPIRED
    if age < config["MIN_FORM_SECONDS"]:
        return TOO_FAST
    return None
