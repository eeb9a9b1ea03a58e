"""Reading a donation request (form or JSON) into a DonationRequest, or errors per field."""

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask_babel import gettext as _

from donate.emails import read_email
from donate.ledger.events import DonationRequest
from donate.money import AmountError, gross_up, parse_amount
from donate.widget.settings import WidgetSettings

FREQUENCIES = ("once", "monthly")
TRUE_WORDS = {"1", "on", "true", "yes"}
FALSE_WORDS = {"", "0", "off", "false", "no"}
MAX_NAME = 200
MAX_SOURCE = 2048
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


@dataclass
class Intake:
    """The outcome of reading a request: a DonationRequest, or a message per bad field."""

    request: DonationRequest | None = None
    errors: dict[str, str] = field(default_factory=dict)


def read_donation(fields: Mapping, settings: WidgetSettings, providers: list[str],
                  idempotency_key: str | None = None) -> Intake:
    """Check every field and say what is wrong with each; build the request if none is."""
    errors: dict[str, str] = {}
    text = {}
    for name in ("amount", "currency", "frequency", "provider", "email", "name", "source",
                 "cover_fees", "newsletter"):
        value = fields.get(name)
        if isinstance(value, bool) and name in {"cover_fees", "newsletter"}:
            value = "1" if value else "0"
        if value is not None and not isinstance(value, str):
            errors[name] = (_('Must be text, such as "25.50" (numbers lose precision)')
                            if name == "amount" else _("Must be text"))
        text[name] = value.strip() if isinstance(value, str) else None

    currency = (text["currency"] or "").upper()
    if "currency" not in errors and currency not in settings.currency_codes:
        errors["currency"] = _("Choose one of %(choices)s",
                               choices=", ".join(settings.currency_codes))
    if "frequency" not in errors and text["frequency"] not in FREQUENCIES:
        errors["frequency"] = _("Choose once or monthly")
    if "provider" not in errors and text["provider"] not in providers:
        errors["provider"] = _("Choose a payment method: %(choices)s",
                               choices=", ".join(providers))
    amount = None
    if "amount" not in errors and "currency" not in errors:
        try:
            amount = parse_amount(text["amount"] or "", currency, settings.minimum[currency],
                                  settings.maximum[currency])
        except AmountError as bad:
            errors["amount"] = str(bad)
    elif "amount" not in errors and not text["amount"]:
        errors["amount"] = _("Enter an amount")
    flags = {}
    for name in ("cover_fees", "newsletter"):
        if name not in errors:
            flag = _read_flag(text[name])
            if flag is None:
                errors[name] = _("Must be yes or no")
            flags[name] = bool(flag)
    email = _check(errors, "email", text["email"], read_email)
    name = _check(errors, "name", text["name"], _read_name)
    source = _read_source(text["source"]) if "source" not in errors else None
    if flags.get("newsletter") and not email and "email" not in errors:
        errors["email"] = _("Enter your email to get the newsletter")
    if idempotency_key is not None and not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        errors["Idempotency-Key"] = _("Must be 1 to 255 visible ASCII characters")
    if errors:
        return Intake(errors=errors)

    fee_rule = settings.fee_rule(text["provider"], currency) if flags["cover_fees"] else None
    fee = gross_up(amount.minor, fee_rule) - amount.minor if fee_rule else 0
    request = DonationRequest(
        amount=amount, fee_minor=fee, frequency=text["frequency"], provider=text["provider"],
        email=email, name=name, source=source, newsletter=flags["newsletter"],
        idempotency_key=idempotency_key)
    return Intake(request=_with_fingerprint(request))


def _check(errors: dict, name: str, value: str | None, reader) -> str | None:
    if name in errors or not value:
        return None
    try:
        return reader(value)
    except ValueError as bad:
        errors[name] = str(bad)
        return None


def _read_flag(value: str | None) -> bool | None:
    word = (value or "").lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None


def _read_name(value: str) -> str:
    if len(value) > MAX_NAME:
        raise ValueError(_("A name has at most %(count)d characters", count=MAX_NAME))
    if any(unicodedata.category(char).startswith("C") for char in value):
        raise ValueError(_("A name cannot contain control characters or line breaks"))
    return value


def _read_source(value: str | None) -> str | None:
    """The embedding page's address, or None: the embed script sends it, not the reader, so a
    bad one is dropped rather than refusing a reader who could not fix it."""
    parts = urlsplit(value or "")
    if len(value or "") > MAX_SOURCE or parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    if any(unicodedata.category(char).startswith("C") for char in value):
        return None  # control characters (PostgreSQL refuses NUL in text) or broken surrogates
    return value


def _with_fingerprint(request: DonationRequest) -> DonationRequest:
    """Stamp a hash of what was asked, so a reused Idempotency-Key can be told apart."""
    fields = {"amount": request.amount.minor, "currency": request.amount.currency,
              "fee": request.fee_minor, "frequency": request.frequency,
              "provider": request.provider, "email": request.email, "name": request.name,
              "source": request.source, "newsletter": request.newsletter}
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
    return DonationRequest(**{**request.__dict__, "fingerprint": digest})
