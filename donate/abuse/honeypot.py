"""A form field people never see and bots fill: `website`.

The widget renders it visually hidden, aria-hidden, out of the tab order and with autocomplete
off, so neither a person, a screen reader nor a password manager fills it. Form-filling bots
fill every text field they find. A filled honeypot gets an answer that looks like success and
nothing is written, so the bot learns nothing.
"""

import logging
from collections.abc import Mapping

log = logging.getLogger("donate.abuse")
FIELD = "website"


def honeypot_filled(fields: Mapping, network: str) -> bool:
    """True when the hidden field came back with anything in it (logged, value left out)."""
    value = fields.get(FIELD)
    filled = bool(value.strip()) if isinstance(value, str) else value is not None
    if filled:
        log.warning("honeypot filled", extra={"network": network})
    return filled
