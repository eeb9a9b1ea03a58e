"""Shared pieces of FakePayPalServer: PayPal's error shapes, IDs, money and time helpers,
and the request checks the endpoints use (see paypal_server.py for the overview)."""

from __future__ import annotations

import random
import re
import string
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

#: PayPal's REST currencies and their decimals (HUF, JPY and TWD take no decimals).
PAYPAL_CURRENCIES = {
    **dict.fromkeys(
        ("AUD", "BRL", "CAD", "CNY", "CZK", "DKK", "EUR", "HKD", "ILS", "MYR", "MXN", "NZD",
         "NOK", "PHP", "PLN", "GBP", "SGD", "SEK", "CHF", "THB", "USD"),
        2,
    ),
    "HUF": 0,
    "JPY": 0,
    "TWD": 0,
}

_NAMES = {  # status -> (name, message) as in the specs' error_<status> schemas
    400: (
        "INVALID_REQUEST",
        "Request is not well-formed, syntactically incorrect, or violates schema.",
    ),
    401: (
        "AUTHENTICATION_FAILURE",
        "Authentication failed due to missing authorization header, or invalid authentication "
        "credentials.",
    ),
    403: ("NOT_AUTHORIZED", "Authorization failed due to insufficient permissions."),
    404: ("RESOURCE_NOT_FOUND", "The specified resource does not exist."),
    409: (
        "RESOURCE_CONFLICT",
        "The server has detected a conflict while processing this request.",
    ),
    415: (
        "UNSUPPORTED_MEDIA_TYPE",
        "The server does not support the request payload's media type.",
    ),
    422: (
        "UNPROCESSABLE_ENTITY",
        "The requested action could not be performed, semantically incorrect, or failed business "
        "validation.",
    ),
    429: ("RATE_LIMIT_REACHED", "Too many requests. Blocked due to rate limiting."),
    500: ("INTERNAL_SERVER_ERROR", "An internal server error occurred."),
    503: ("SERVICE_UNAVAILABLE", "Service Unavailable."),
}

ISSUES = {  # issue -> description, as PayPal's specs word them
    "MALFORMED_REQUEST_JSON": "The request JSON is not well formed.",
    "INVALID_RESOURCE_ID": "Specified resource ID does not exist. Please check the resource ID "
    "and try again.",
    "ORDER_NOT_APPROVED": "Payer has not yet approved the Order for payment. Please redirect the "
    "payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create "
    "Order call or provide a valid payment_source in the request.",
    "ORDER_ALREADY_CAPTURED": "Order already captured.If 'intent=CAPTURE' only one capture per "
    "order is allowed.",
    "INSTRUMENT_DECLINED": "The instrument presented  was either declined by the processor or "
    "bank, or it can't be used for this payment.",
    "DUPLICATE_REFERENCE_ID": "`reference_id` must be unique if multiple `purchase_unit` are "
    "provided.",
    "REFERENCE_ID_REQUIRED": "'reference_id' is required for each 'purchase_unit' if multiple "
    "'purchase_unit' are provided.",
    "CAPTURE_FULLY_REFUNDED": "The capture has already been fully refunded",
    "REFUND_CAPTURE_CURRENCY_MISMATCH": "Refund must be in the same currency as the capture",
    "REFUND_AMOUNT_EXCEEDED": "The refund amount must be less than or equal to the capture amount "
    "that has not yet been refunded.",
    "REFUND_NOT_ALLOWED": "Capture cannot be refunded.",
    "PENDING_CAPTURE": "Cannot initiate a refund as the capture is pending. Capture is typically "
    "pending when the payer has funded the transaction using e-check/bank funded.",
    "PLAN_STATUS_INVALID": "Invalid plan status for subscription creation; plan status should "
    "be active.",
    "INVALID_BILLING_CYCLE_SEQUENCE": "The provided billing cycle sequence is not available.",
    "CURRENCY_MISMATCH": "The currency code is different from the plan's currency code.",
    "DUPLICATE_RESOURCE_IDENTIFIER": "Identifier must be unique.",
}

_CURRENCIES_LINK = "https://developer.paypal.com/api/rest/reference/currency-codes/"
#: what each API calls a validation problem: kind -> (status, issue, description), from the
#: issue lists in PayPal's specs (Orders v2, Payments v2, Subscriptions v1, Catalog Products v1)
DIALECTS: dict[str, dict[str, tuple[int, str, str]]] = {
    "orders": {
        "missing": (400, "MISSING_REQUIRED_PARAMETER", "A required parameter is missing."),
        "syntax": (400, "INVALID_PARAMETER_SYNTAX",
                   "The value of a field does not conform to the expected format."),
        "value": (400, "INVALID_PARAMETER_VALUE", "A parameter value is not valid."),
        "length": (400, "INVALID_STRING_LENGTH",
                   "The value of a field is either too short or too long"),
        "few_items": (400, "INVALID_ARRAY_MIN_ITEMS",
                      "The number of items in an array parameter is too small."),
        "many_items": (400, "INVALID_ARRAY_MAX_ITEMS",
                       "The number of items in an array parameter is too large."),
        "currency": (422, "INVALID_CURRENCY_CODE", "Currency code is invalid or is not currently "
                     f"supported. Please refer {_CURRENCIES_LINK} for list of supported currency "
                     "codes."),
        "precision": (422, "DECIMAL_PRECISION", "If the currency supports decimals, only two "
                      "decimal place precision is supported."),
        "zero": (422, "CANNOT_BE_ZERO_OR_NEGATIVE", "Must be greater than zero. If the currency "
                 "supports decimals, only two decimal place precision is supported."),
    },
    "payments": {
        "missing": (400, "MISSING_REQUIRED_PARAMETER", "A required field / parameter is missing."),
        "syntax": (400, "INVALID_PARAMETER_SYNTAX",
                   "The value of a field does not conform to the expected format."),
        "value": (400, "INVALID_PARAMETER_VALUE", "The value of a field is invalid."),
        "length": (400, "INVALID_STRING_LENGTH",
                   "The value of a field is either too short or too long."),
        "currency": (422, "INVALID_CURRENCY_CODE", "Currency code is invalid or is not currently "
                     "supported. Please refer https://developer.paypal.com/docs/api/reference/"
                     "currency-codes/ for list of supported currency codes."),
        "precision": (422, "DECIMAL_PRECISION", "If the currency supports decimals, only two "
                      "decimal place precision is supported."),
        "no_decimals": (422, "DECIMALS_NOT_SUPPORTED", "Currency does not support decimals. "
                        "Please refer to https://developer.paypal.com/docs/api/reference/"
                        "currency-codes/ for more information."),
        "zero": (422, "CANNOT_BE_ZERO_OR_NEGATIVE", "Must be greater than zero. If the currency "
                 "supports decimals, only two decimal place precision is supported."),
    },
    "billing": {
        "missing": (400, "MISSING_REQUIRED_PARAMETER", "A required field is missing."),
        "syntax": (400, "INVALID_PARAMETER_SYNTAX",
                   "The value of a field does not conform to the expected format."),
        "value": (400, "INVALID_PARAMETER_VALUE", "The value of a field is invalid."),
        "too_long": (400, "INVALID_STRING_MAX_LENGTH", "The value of a field is too long."),
        "too_short": (400, "INVALID_STRING_MIN_LENGTH", "The value of a field is too short."),
        "int_low": (400, "INVALID_INTEGER_MIN_VALUE",
                    "The integer value of a field is too small."),
        "int_high": (400, "INVALID_INTEGER_MAX_VALUE",
                     "The integer value of a field is too large."),
        "currency": (422, "CURRENCY_NOT_SUPPORTED_FOR_RECEIVER",
                     "This currency cannot be accepted for this recipient\u2019s account."),
    },
}
DIALECTS["catalog"] = DIALECTS["billing"]

_LINK_BASE = {  # path prefix -> documentation page of its errors
    "/v2/checkout": "https://developer.paypal.com/api/rest/reference/orders/v2/errors/",
    "/v2/payments": "https://developer.paypal.com/docs/api/payments/v2/",
    "/v1/billing": "https://developer.paypal.com/docs/api/subscriptions/v1/",
    "/v1/catalogs": "https://developer.paypal.com/docs/api/catalog-products/v1/",
    "/v1/reporting": "https://developer.paypal.com/docs/api/transaction-search/v1/",
}


def debug_id() -> str:
    return "".join(random.choices("0123456789abcdef", k=13))


def new_id(prefix: str = "", length: int = 17) -> str:
    """PayPal-looking IDs: 17 upper-case alphanumerics for orders, captures, refunds, sales."""
    return prefix + "".join(random.choices(string.ascii_uppercase + string.digits, k=length))


def payer_id() -> str:
    """13 characters without 0, 1, I and O, as the specs' payer_id pattern wants."""
    return "".join(random.choices("23456789ABCDEFGHJKLMNPQRSTUVWXYZ", k=13))


class PayPalError(Exception):
    """An error answer in PayPal's v2 shape (name, message, debug_id, details[], links[])."""

    def __init__(
        self,
        status: int,
        details: list[dict] | None = None,
        *,
        name: str | None = None,
        message: str | None = None,
        links: list[dict] | None = None,
        body: dict | None = None,
    ) -> None:
        default_name, default_message = _NAMES.get(status, _NAMES[500])
        self.status = status
        self.name = name or default_name
        self.message = message or default_message
        self.details = details or []
        self.links = links
        self.raw_body = body  # a body in another shape (OAuth, v1 VALIDATION_ERROR)
        super().__init__(f"{status} {self.name}: {self.details or self.message}")

    def body(self, path: str = "") -> dict:
        if self.raw_body is not None:
            return {**self.raw_body, "debug_id": debug_id()} if "name" in self.raw_body else (
                self.raw_body
            )
        payload: dict[str, Any] = {"name": self.name}
        if self.details:
            payload["details"] = self.details
        payload["message"] = self.message
        payload["debug_id"] = debug_id()
        base = next((v for k, v in _LINK_BASE.items() if path.startswith(k)), None)
        if self.links is not None:
            payload["links"] = self.links
        elif base:
            anchor = self.details[0]["issue"] if self.details else self.name
            payload["links"] = [
                {"href": f"{base}#{anchor}", "rel": "information_link", "method": "GET"}
            ]
        return payload


def issue(
    issue_code: str,
    field: str | None = None,
    value: Any = None,
    location: str = "body",
    description: str | None = None,
    dialect: str = "orders",
) -> dict:
    detail: dict[str, Any] = {}
    if field is not None:
        detail["field"] = field
    if value is not None:
        detail["value"] = value if isinstance(value, str) else str(value)
    if field is not None:
        detail["location"] = location
    detail["issue"] = issue_code
    worded = {code: text for _, code, text in DIALECTS[dialect].values()}
    detail["description"] = (description or ISSUES.get(issue_code) or worded.get(issue_code)
                             or issue_code)
    return detail


def not_found(resource_id: str, field: str = "id") -> PayPalError:
    """404 RESOURCE_NOT_FOUND; a field written as a JSON pointer ("/plan_id") is in the body."""
    location = "body" if field.startswith("/") else "path"
    return PayPalError(
        404, [issue("INVALID_RESOURCE_ID", field, resource_id, location)]
    )


def fail(status: int, issue_code: str, field: str | None = None, value: Any = None, **kw: Any):
    """Raise a PayPalError with one detail."""
    raise PayPalError(status, [issue(issue_code, field, value, **kw)])


# --- money ---------------------------------------------------------------------------------

_VALUE = re.compile(r"^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$")  # the specs' money.value pattern


def fmt(amount: Decimal, currency: str) -> str:
    places = PAYPAL_CURRENCIES.get(currency, 2)
    quantum = Decimal(1).scaleb(-places)
    return str(amount.quantize(quantum, rounding=ROUND_HALF_UP))


def money(amount: Decimal, currency: str) -> dict:
    return {"currency_code": currency, "value": fmt(amount, currency)}


def money_v1(amount: Decimal, currency: str) -> dict:
    """The v1 (sales) shape: {total, currency}."""
    return {"total": fmt(amount, currency), "currency": currency}


# --- time ----------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def reporting_time(moment: datetime) -> str:
    """The transaction-search API's style: 2024-05-01T10:00:00+0000."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_time(text: str) -> datetime | None:
    """RFC 3339 (Z, +00:00 or +0000 offsets, optional fractions); None if it is not one."""
    if not isinstance(text, str) or not re.fullmatch(
        r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:?\d\d)", text.strip()
    ):
        return None
    cleaned = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text.strip().replace("z", "Z"))
    try:
        parsed = datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC)


# --- request checks ------------------------------------------------------------------------


class Checks:
    """Collects problems in a request body, worded in the API's dialect (see DIALECTS): schema
    problems answer 400 INVALID_REQUEST, business problems 422 UNPROCESSABLE_ENTITY (400s
    win, as at PayPal)."""

    def __init__(self, dialect: str, strict_amounts: bool = True) -> None:
        self.words = DIALECTS[dialect]
        self.problems: dict[int, list[dict]] = {400: [], 422: []}
        self.strict_amounts = strict_amounts

    def add(self, kind: str, pointer: str, value: Any = None) -> None:
        words = self.words.get(kind)
        if words is None:  # e.g. billing has no "length": fall back on its nearest word
            fallback = {"length": "too_long", "few_items": "value", "many_items": "value",
                        "int_low": "value", "int_high": "value", "no_decimals": "precision",
                        "precision": "value", "zero": "value"}
            words = self.words.get(fallback[kind]) or self.words["value"]
        status, code, description = words
        self.problems[status].append(issue(code, pointer, value, description=description))

    def done(self) -> None:
        for status in (400, 422):
            if self.problems[status]:
                raise PayPalError(status, self.problems[status])

    def obj(self, parent: Any, key: str, pointer: str, required: bool = False) -> dict | None:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None:
            if required:
                self.add("missing", pointer)
            return None
        if not isinstance(value, dict):
            self.add("syntax", pointer, value)
            return None
        return value

    def array(
        self, parent: Any, key: str, pointer: str, required: bool = False, max_items: int = 0
    ) -> list:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None:
            if required:
                self.add("missing", pointer)
            return []
        if not isinstance(value, list):
            self.add("syntax", pointer, value)
            return []
        if required and not value:
            self.add("few_items", pointer)
        if max_items and len(value) > max_items:
            self.add("many_items", pointer, len(value))
        return value

    def text(
        self,
        parent: Any,
        key: str,
        pointer: str,
        *,
        required: bool = False,
        max_length: int = 127,
        min_length: int = 1,
        enum: tuple[str, ...] | None = None,
        pattern: str | None = None,
    ) -> str | None:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None:
            if required:
                self.add("missing", pointer)
            return None
        if not isinstance(value, str):
            self.add("syntax", pointer, value)
            return None
        if len(value) > max_length:
            self.add("length" if "length" in self.words else "too_long", pointer, value)
        elif len(value) < min_length:
            self.add("length" if "length" in self.words else "too_short", pointer, value)
        elif enum is not None and value not in enum:
            self.add("value", pointer, value)
        elif pattern is not None and not re.search(pattern, value):
            self.add("syntax", pointer, value)
        else:
            return value
        return None

    def url(self, parent: Any, key: str, pointer: str, required: bool = False) -> str | None:
        value = self.text(parent, key, pointer, required=required, max_length=4000, min_length=10)
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            self.add("syntax", pointer, value)
            return None
        return value

    def integer(
        self, parent: Any, key: str, pointer: str, low: int, high: int, required: bool = False
    ) -> int | None:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None:
            if required:
                self.add("missing", pointer)
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            self.add("syntax", pointer, value)
            return None
        if value < low:
            self.add("int_low", pointer, value)
        elif value > high:
            self.add("int_high", pointer, value)
        return value

    def money(
        self, parent: Any, key: str, pointer: str, required: bool = False, zero_ok: bool = False
    ) -> tuple[Decimal, str] | None:
        """{currency_code, value}: value a decimal string with the currency's decimals."""
        value = self.obj(parent, key, pointer, required)
        if value is None:
            return None
        code = self.text(value, "currency_code", f"{pointer}/currency_code", required=True,
                         max_length=3, min_length=3)
        amount = value.get("value")
        if amount is None:
            self.add("missing", f"{pointer}/value")
            return None
        if not isinstance(amount, str) or len(amount) > 32 or not _VALUE.match(amount):
            self.add("syntax", f"{pointer}/value", amount)
            return None
        if code is None:
            return None
        if code not in PAYPAL_CURRENCIES:
            self.add("currency", f"{pointer}/currency_code", code)
            return None
        number = Decimal(amount)
        places = PAYPAL_CURRENCIES[code]
        decimals = len(amount.partition(".")[2])
        if places == 0 and "." in amount:
            self.add("no_decimals", f"{pointer}/value", amount)
        elif decimals > places:
            self.add("precision", f"{pointer}/value", amount)
        elif zero_ok and number == 0:
            pass
        elif self.strict_amounts and decimals != places:  # PayPal itself accepts "10.5"
            self.add("precision", f"{pointer}/value", amount)
        elif number < 0 or (number == 0 and not zero_ok):
            self.add("zero", f"{pointer}/value", amount)
        return number, code


class Call:
    """One API request as the endpoint handlers see it."""

    def __init__(
        self,
        method: str,
        path: str,
        args: tuple[str, ...],
        body: Any,
        query: dict[str, str],
        headers: dict[str, str],
    ) -> None:
        self.method = method
        self.path = path
        self.args = args
        self.body = body if body is not None else {}
        self.query = query
        self.headers = headers
        prefer = headers.get("Prefer", "")
        self.representation = "return=representation" in prefer.replace(" ", "")

    @property
    def request_id(self) -> str | None:
        return self.headers.get("Paypal-Request-Id")


def link(href: str, rel: str, method: str = "GET") -> dict:
    return {"href": href, "rel": rel, "method": method}
