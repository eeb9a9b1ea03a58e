"""The dev mailbox: with no MAIL_SERVER, emails are kept and read here. Never in production."""

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from donate.extensions import db
from donate.outbox.models import OutboxMessage

bp = Blueprint("mailbox", __name__, url_prefix="/dev/mailbox")


@bp.get("/")
def index():
    """The newest messages first, whatever their state."""
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())
                                  .limit(200)).all()
    return render_template("outbox/mailbox.html", messages=messages)


@bp.get("/<int:message_id>")
def show(message_id: int):
    """One message: headers and the plain-text part, with its links clickable."""
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    return render_template("outbox/message.html", message=message)


@bp.get("/<int:message_id>/html")
def show_html(message_id: int):
    """The HTML part exactly as a mail client would get it."""
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    if not message.body_html:
        abort(404)
    # Email HTML carries inline styles; it may run no script and load nothing.
    return message.body_html, 200, {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"}
