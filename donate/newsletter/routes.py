"""POST /newsletter from the widget, and the confirm and unsubscribe pages the emails link to.

The POSTs here carry no CSRF token: the sign-up comes from a cross-site iframe that has no
cookie, and the confirm and unsubscribe POSTs are authorised by the signed token in their URL
(mail providers send RFC 8058 one-click unsubscribes with no cookie at all).
"""

from collections.abc import Mapping

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import gettext as _

from donate.emails import read_email
from donate.extensions import csrf, limiter
from donate.newsletter import service
from donate.security import embeddable
from donate.widget.intake import _read_source
from donate.widget.routes import wants_json

bp = Blueprint("newsletter", __name__, url_prefix="/newsletter")
bp.add_app_template_global(service.consent_text)  # the widget shows it too


@bp.before_request
def limit_body_size() -> None:
    """Sign-ups and one-click unsubscribes are tiny; refuse big bodies before reading them."""
    request.max_content_length = current_app.config["FORM_MAX_BYTES"]


@bp.post("")
@csrf.exempt  # the widget's cross-site iframe sends no cookie; rate limits guard it instead
@limiter.limit(lambda: current_app.config["NEWSLETTER_RATE_LIMIT"])
@embeddable
def sign_up():
    """Start the double opt-in; the answer is the same whatever we knew of the address."""
    fields = request.get_json(silent=True) if request.is_json else request.form
    fields = fields if isinstance(fields, Mapping) else {}
    email, error = _email_from(fields)
    source = _read_source(_text(fields.get("source")) or request.referrer)
    if error:
        if wants_json():
            return jsonify(errors={"email": error}), 422
        return render_template("newsletter/sign_up.html", error=error, source=source,
                               email=_text(fields.get("email"))), 400
    service.sign_up(email, source)
    thanks = _("Thanks! Check your inbox to confirm your subscription.")
    if wants_json():
        return jsonify(message=thanks), 202
    return render_template("newsletter/thanks.html", message=thanks), 202


@bp.get("/confirm/<token>")
def confirm_page(token: str):
    """A button that confirms: mail scanners follow links, so only the POST changes anything."""
    if service.subscriber_to_confirm(token) is None:
        return _bad_link()
    return render_template("newsletter/confirm.html", token=token)


@bp.post("/confirm/<token>")
@csrf.exempt  # authorised by the signed token in the URL, not by a session
def confirm(token: str):
    """Confirm the subscription the link was mailed for."""
    subscriber = service.confirm(token)
    if subscriber is None:
        return _bad_link()
    return render_template("newsletter/confirmed.html", subscriber=subscriber)


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str):
    """A button that unsubscribes (a GET must not: mail scanners follow links)."""
    subscriber = service.subscriber_to_unsubscribe(token)
    if subscriber is None:
        return _bad_link()
    return render_template("newsletter/unsubscribe.html", token=token, subscriber=subscriber)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # RFC 8058 one-click: authorised by the signed token in the URL, no cookie
def unsubscribe(token: str):
    """Stop the newsletter, from our page or a mail client's one-click button."""
    subscriber = service.unsubscribe(token)
    if subscriber is None:
        return _bad_link()
    return render_template("newsletter/unsubscribed.html", subscriber=subscriber)


def _email_from(fields: Mapping) -> tuple[str | None, str | None]:
    """The checked, lower-cased address, or the message saying what is wrong with it."""
    value = _text(fields.get("email"))
    if not value:
        return None, _("Enter your email address")
    try:
        return read_email(value), None
    except ValueError as bad:
        return None, str(bad)


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _bad_link():
    return render_template("newsletter/invalid_link.html"), 400
