"""Velocity alarms: failed payments per network and overall, in a sliding window.

Counted in SQL over the ledger (donations created in the last VELOCITY_WINDOW_MINUTES whose
status is `failed`) rather than in Redis counters: the ledger is where a decline becomes a
fact (from a provider event, whichever instance received it), every instance and worker
already shares it, the window slides exactly, the (status, created_at) index keeps the count to
the few failed rows of the window, and it works the same on a laptop with SQLite and no Redis.
A donation stores only its network (/24, /64), never the reader's address.

At VELOCITY_NETWORK_FAILURES failures from one network, checkout from that network turns
strict (a lower rate limit, an email required, a higher minimum amount); at
VELOCITY_GLOBAL_FAILURES failures overall, everyone's does. Each time staff get an AbuseAlert
row and an email to STAFF_ALERT_EMAIL, once per network (or globally) per hour.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, render_template, request
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from donate.abuse.models import AbuseAlert
from donate.abuse.networks import client_network
from donate.extensions import db
from donate.ledger.models import Donation, utcnow
from donate.ledger.states import DonationStatus
from donate.outbox.enqueue import enqueue

log = logging.getLogger("donate.abuse")
PRESSURE_KEY = "donate.abuse.pressure"


@dataclass(frozen=True)
class Pressure:
    """Recent failed payments from the request's network and from everywhere."""

    network: str
    network_failures: int
    global_failures: int
    network_threshold: int
    global_threshold: int

    @property
    def network_over(self) -> bool:
        return self.network_failures >= self.network_threshold

    @property
    def global_over(self) -> bool:
        return self.global_failures >= self.global_threshold

    @property
    def strict(self) -> bool:
        return self.network_over or self.global_over


def failures_since(network: str, window: timedelta) -> tuple[int, int]:
    """(failed from this network, failed overall) among donations created in the window."""
    failed = select(
        func.coalesce(func.sum(case((Donation.client_network == network, 1), else_=0)), 0),
        func.count(Donation.id),
    ).where(Donation.status == DonationStatus.FAILED,
            Donation.created_at >= utcnow() - window)
    from_network, overall = db.session.execute(failed).one()
    return int(from_network), int(overall)


def current_pressure() -> Pressure:
    """This request's pressure, counted once per request (kept in the WSGI environ: `g`
    outlives a request where an app context was pushed around it). None is counted while
    the database is down: the request fails on its own, and the rate limiter must not take
    the error for its store failing."""
    if PRESSURE_KEY not in request.environ:
        config = current_app.config
        network = client_network()
        try:
            counts = failures_since(network, timedelta(minutes=config["VELOCITY_WINDOW_MINUTES"]))
        except SQLAlchemyError:
            db.session.rollback()
            counts = (0, 0)
        request.environ[PRESSURE_KEY] = Pressure(
            network, *counts, config["VELOCITY_NETWORK_FAILURES"],
            config["VELOCITY_GLOBAL_FAILURES"])
    return request.environ[PRESSURE_KEY]


def strict_here() -> bool:
    return current_pressure().strict


def raise_alerts(pressure: Pressure) -> list[AbuseAlert]:
    """Tell staff about every threshold crossed (deduplicated per hour)."""
    crossed = []
    if pressure.network_over:
        crossed.append(("network", pressure.network, pressure.network_failures))
    if pressure.global_over:
        crossed.append(("global", "*", pressure.global_failures))
    return [alert for kind, scope, failures in crossed
            if (alert := raise_alert(kind, scope, failures)) is not None]


def raise_alert(kind: str, scope: str, failures: int) -> AbuseAlert | None:
    """An AbuseAlert and its email in one transaction; None if this hour's exists already."""
    dedupe_key = f"velocity:{kind}:{scope}:{utcnow():%Y-%m-%dT%H}"
    if db.session.scalar(select(AbuseAlert.id).where(AbuseAlert.dedupe_key == dedupe_key)):
        return None
    window = current_app.config["VELOCITY_WINDOW_MINUTES"]
    alert = AbuseAlert(kind=kind, scope=scope, failures=failures, window_minutes=window,
                       dedupe_key=dedupe_key)
    try:
        db.session.add(alert)
        db.session.flush()
    except IntegrityError:  # another instance raised it a moment ago
        db.session.rollback()
        return None
    _email_staff(alert)
    db.session.commit()
    log.warning("abuse alert", extra={"kind": kind, "scope": scope, "failures": failures})
    return alert


def _email_staff(alert: AbuseAlert) -> None:
    to = current_app.config["STAFF_ALERT_EMAIL"]
    if not to:
        return
    where = "from network " + alert.scope if alert.kind == "network" else "across all networks"
    subject = f"Possible card testing: {alert.failures} failed payments {where}"
    enqueue(kind="abuse_alert", dedupe_key=alert.dedupe_key, to=to, subject=subject,
            text=render_template("email/abuse_alert.txt", alert=alert, where=where,
                                 config=current_app.config))
