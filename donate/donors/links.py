"""Magic links: signed, single use, expiring after MAGIC_LINK_MAX_AGE seconds."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update

from donate.donors.models import DonorLink
from donate.extensions import db
from donate.ledger.models import Donor, utcnow
from donate.mail.render import render_email
from donate.outbox.enqueue import enqueue
from donate.urls import external_url


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="donor-manage-link")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def send_manage_link(email: str) -> None:
    """Email a link to the donor with this address, if there is one; commit either way."""
    donor = db.session.scalar(select(Donor).where(Donor.email == email.lower()))
    if donor is not None:
        secret = secrets.token_urlsafe(24)
        max_age = current_app.config["MAGIC_LINK_MAX_AGE"]
        link = DonorLink(donor_id=donor.id, secret_hash=_hash(secret),
                         expires_at=utcnow() + timedelta(seconds=max_age))
        db.session.add(link)
        db.session.flush()
        token = _serializer().dumps({"link": link.id, "secret": secret})
        url = external_url("donors.open_link", token=token)
        # In the request's language: the reader is on the page, waiting for this email.
        rendered = render_email("manage_link", _("Your link to manage your donations"),
                                url=url, minutes=max_age // 60)
        enqueue(kind="manage_link", dedupe_key=f"manage-link:{link.id}", to=donor.email,
                subject=rendered.subject, text=rendered.text, html=rendered.html)
    db.session.commit()


def use_link(token: str) -> int | None:
    """The donor id a valid, unused, unexpired link stands for; the link is used up."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["MAGIC_LINK_MAX_AGE"])
        link_id, secret = int(data["link"]), str(data["secret"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    # One UPDATE decides: of two concurrent clicks, exactly one finds the link unused.
    donor_id = db.session.execute(
        update(DonorLink).where(DonorLink.id == link_id, DonorLink.secret_hash == _hash(secret),
                                DonorLink.used_at.is_(None), DonorLink.expires_at > utcnow())
        .values(used_at=utcnow()).returning(DonorLink.donor_id)).scalar()
    db.session.commit()
    return donor_id
