"""Networks and email addresses staff have blocked (`flask abuse block`), checked at checkout."""

import ipaddress
import logging
from datetime import datetime

from sqlalchemy import delete, or_, select

from donate.abuse.models import BlockedSource
from donate.abuse.networks import address_in
from donate.emails import read_email
from donate.extensions import db
from donate.ledger.models import utcnow

log = logging.getLogger("donate.abuse")


def _active():
    now = utcnow()
    return select(BlockedSource).where(
        or_(BlockedSource.expires_at.is_(None), BlockedSource.expires_at > now))


def block_for(address: str | None, email: str | None) -> BlockedSource | None:
    """The block that covers this client address or email address, if any."""
    if email:
        row = db.session.scalars(_active().where(BlockedSource.email == email)).first()
        if row is not None:
            return row
    # Few networks are ever blocked at once, so they are matched here rather than in SQL
    # (SQLite has no inet type).
    for row in db.session.scalars(_active().where(BlockedSource.network.is_not(None))):
        if address_in(address, row.network):
            return row
    return None


def read_target(text: str) -> tuple[str | None, str | None]:
    """(network, email) from what staff typed: an address, a network or an email address."""
    text = text.strip()
    if "@" in text:
        return None, read_email(text)
    try:
        return str(ipaddress.ip_network(text, strict=False)), None
    except ValueError:
        raise ValueError(f"{text!r} is neither a network (203.0.113.0/24), an IP address "
                         "nor an email address") from None


def add_block(target: str, reason: str, created_by: str,
              expires_at: datetime | None = None) -> BlockedSource:
    network, email = read_target(target)
    row = BlockedSource(network=network, email=email, reason=reason, created_by=created_by,
                        expires_at=expires_at)
    db.session.add(row)
    db.session.commit()
    log.warning("source blocked", extra={"target": row.target, "by": created_by})
    return row


def remove_blocks(target: str) -> int:
    """Remove the blocks on a target (or the one with this id); return how many went."""
    if target.isdigit():
        condition = BlockedSource.id == int(target)
    else:
        network, email = read_target(target)
        condition = BlockedSource.network == network if network else BlockedSource.email == email
    removed = db.session.execute(delete(BlockedSource).where(condition)).rowcount
    db.session.commit()
    log.warning("source unblocked", extra={"target": target, "removed": removed})
    return removed


def list_blocks(include_expired: bool = False) -> list[BlockedSource]:
    query = select(BlockedSource) if include_expired else _active()
    return list(db.session.scalars(query.order_by(BlockedSource.id)))
