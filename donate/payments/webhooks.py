"""POST /webhooks/<provider>: verified provider events into the inbox."""

import logging

from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from donate.extensions import csrf, db
from donate.payments import inbox
from donate.payments.base import WebhookRejected
from donate.payments.registry import provider_named

bp = Blueprint("webhooks", __name__)
csrf.exempt(bp)  # providers sign their deliveries; there is no session to forge
log = logging.getLogger("donate.webhooks")


@bp.post("/webhooks/<provider_name>")
def receive(provider_name: str):
    """Store a provider's event and apply it (or leave that to the events worker); 2xx once ours."""
    provider = provider_named(provider_name)
    if provider is None:
        abort(404)
    try:
        event_id, error = inbox.receive(
            provider, request.headers, request.get_data(cache=False),
            apply=not current_app.config["APPLY_EVENTS_IN_WORKER"])
    except WebhookRejected as rejected:
        log.warning("webhook rejected", extra={"provider": provider_name, "error": str(rejected)})
        return jsonify(error=str(rejected)), 400
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("webhook not stored or not applied; the provider will retry")
        return jsonify(error="temporarily unable to take this event; retry"), 503
    return jsonify(received=event_id, error=error), 200
