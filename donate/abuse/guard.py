"""What the checkout view asks before it reads a donation: bot, blocked, too fast, strict?"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from donate.abuse.blocklist import block_for
from donate.abuse.form_token import FIELD as FORM_TOKEN
from donate.abuse.form_token import form_token_problem
from donate.abuse.honeypot import honeypot_filled
from donate.abuse.limits import submitted_email
from donate.abuse.networks import client_network
from donate.abuse.velocity import current_pressure, raise_alerts
from donate.ledger.events import DonationRequest
from donate.money import money

log = logging.getLogger("donate.abuse")
BLOCKED = _l("We cannot take donations from your network or email address right now. If you "
             "think this is a mistake, please write to us and we will sort it out.")
STRICT_EMAIL = _l("Please enter your email address: we are seeing unusual activity and ask "
                  "every donor for it for the moment.")


@dataclass(frozen=True)
class Screening:
    """The verdict on one checkout request, before its fields are read."""

    #: a bot filled the honeypot: answer as if it worked, write nothing
    decoy: bool = False
    #: a message for the reader and the status to answer with; nothing is written
    refusal: str | None = None
    status: int = 400
    #: the network (or everyone) is under pressure: ask for more (see strict_errors)
    strict: bool = False


def screen(fields: Mapping, form_post: bool) -> Screening:
    """Honeypot, block list, the form's time stamp (plain form posts only), then pressure."""
    network = client_network()
    if honeypot_filled(fields, network):
        return Screening(decoy=True)
    block = block_for(request.remote_addr, submitted_email())
    if block is not None:
        log.warning("blocked source refused", extra={"network": network, "block": block.id})
        return Screening(refusal=str(BLOCKED), status=403)
    if form_post:
        problem = form_token_problem(fields.get(FORM_TOKEN))
        if problem:
            log.info("form token refused", extra={"network": network, "problem": problem})
            return Screening(refusal=str(problem), status=400)
    pressure = current_pressure()
    raise_alerts(pressure)
    return Screening(strict=pressure.strict)


def strict_errors(donation: DonationRequest, screening: Screening) -> dict[str, str]:
    """What strict mode asks beyond the usual rules: an email, and a higher minimum."""
    if not screening.strict:
        return {}
    errors = {}
    if not donation.email:
        errors["email"] = str(STRICT_EMAIL)
    minimum = money(current_app.config["STRICT_MIN_AMOUNT"], donation.amount.currency)
    if donation.amount.minor < minimum.minor:
        errors["amount"] = _("For the moment the smallest donation is %(amount)s.",
                             amount=minimum.format())
    return errors
