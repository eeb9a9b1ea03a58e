"""Money as integer minor units with a currency; parsing reader input with Decimal, never float."""

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import format_currency
from flask_babel import gettext as _

#: ISO 4217 minor-unit exponents for the currencies we know how to take.
CURRENCY_EXPONENTS = {
    "USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "NZD": 2, "SEK": 2, "NOK": 2,
    "DKK": 2, "PLN": 2, "CZK": 2, "JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3, "JOD": 3,
}
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}

#: Where a currency code written in letters touches a digit ("CHF12.34").
CODE_BESIDE_DIGIT = re.compile(r"(?<=[A-Z])(?=\d)|(?<=\d)(?=[A-Z])")

#: Digits, optionally one decimal separator ("." or "," as German readers type it) and more
#: digits. No signs, exponents, spaces, thousands separators, NaN or Infinity.
AMOUNT_PATTERN = re.compile(r"[0-9]{1,15}(?:[.,][0-9]{1,15})?")


class AmountError(ValueError):
    """An amount a reader typed that we cannot take; the message is for the reader."""


@dataclass(frozen=True, order=True)
class Money:
    minor: int  #: integer count of the currency's minor unit (cents)
    currency: str  #: ISO 4217 code

    def __post_init__(self) -> None:
        if type(self.minor) is not int:
            raise TypeError(f"Money needs an int of minor units, got {type(self.minor).__name__}")
        if self.currency not in CURRENCY_EXPONENTS:
            raise ValueError(f"unknown currency {self.currency!r}")

    @property
    def exponent(self) -> int:
        return CURRENCY_EXPONENTS[self.currency]

    def major_text(self) -> str:
        """'25.50': the amount in major units with exactly the currency's decimals."""
        return f"{self.major:.{self.exponent}f}"

    @property
    def major(self) -> Decimal:
        """The amount in major units, exact: Decimal("25.50")."""
        return Decimal(self.minor).scaleb(-self.exponent)

    def format(self, locale: str | None = None) -> str:
        """The amount as a reader of `locale` (by default the request's language) writes it:
        "$1,025.50" in English, "1.025,50 $" in German (CLDR data, through Babel)."""
        return _written(self.minor, self.currency, str(locale or _reader_locale()))

    def __add__(self, other: "Money") -> "Money":
        if other.currency != self.currency:
            raise ValueError("cannot add amounts in different currencies")
        return Money(self.minor + other.minor, self.currency)


@lru_cache(maxsize=4096)
def _written(minor: int, currency: str, locale: str) -> str:
    """Money.format's text, remembered: receipts say the same few amounts again and again,
    and Babel takes longer to format one than the rest of a receipt takes to render."""
    text = format_currency(Money(minor, currency).major, currency, locale=locale)
    # CLDR's currency spacing, which Babel leaves out and browsers apply: "CHF 12.34"
    return CODE_BESIDE_DIGIT.sub("\u00a0", text)


def to_minor(major: Decimal, currency: str) -> int:
    """Exact conversion of a major-unit Decimal; raises if it has too many decimals."""
    scaled = major.scaleb(CURRENCY_EXPONENTS[currency])
    if scaled != scaled.to_integral_value():
        raise _too_many_decimals(currency)
    return int(scaled)


def _too_many_decimals(currency: str) -> AmountError:
    return AmountError(_("%(currency)s amounts have at most %(count)d decimals",
                         currency=currency, count=CURRENCY_EXPONENTS[currency]))


def money(major_text: str, currency: str) -> Money:
    """Money from trusted text such as config ("10", "0.30"); raises ValueError on bad text."""
    return Money(to_minor(Decimal(major_text), currency), currency)


def parse_amount(text: object, currency: str, minimum: Money, maximum: Money) -> Money:
    """Parse what a reader typed into Money within [minimum, maximum], or raise AmountError."""
    if not isinstance(text, str):
        raise AmountError(_("Enter the amount as text, such as 25 or 25.50"))
    cleaned = text.strip()
    if not cleaned:
        raise AmountError(_("Enter an amount"))
    if not AMOUNT_PATTERN.fullmatch(cleaned):
        raise AmountError(_("Enter a number such as 25 or 25.50, without signs or symbols"))
    whole, _separator, fraction = cleaned.replace(",", ".").partition(".")
    # Counted as typed, so "1,000" (a thousand, to some readers) is not taken as 1.000.
    if len(fraction) > CURRENCY_EXPONENTS[currency]:
        raise _too_many_decimals(currency)
    amount = Money(to_minor(Decimal(f"{whole}.{fraction or 0}"), currency), currency)
    if amount < minimum:
        raise AmountError(_("The smallest donation is %(amount)s.", amount=minimum.format()))
    if amount > maximum:
        raise AmountError(_("The largest donation online is %(amount)s.",
                            amount=maximum.format()))
    return amount


@dataclass(frozen=True)
class FeeRule:
    """A provider's fee for one currency: percent of the charge plus a fixed amount."""

    percent: Decimal  #: e.g. Decimal("2.9") for 2.9 %
    fixed_minor: int  #: fixed part in minor units

    def fee_on(self, charged_minor: int) -> int:
        variable = (Decimal(charged_minor) * self.percent / 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        return int(variable) + self.fixed_minor


def gross_up(amount_minor: int, rule: FeeRule) -> int:
    """The smallest charge whose net after the provider's fee is at least `amount_minor`."""
    # The provider rounds its fee to a whole minor unit, so the exact solution of
    # c - c*p - fixed = amount can be off by one either way: start just below it and step up.
    rate = 1 - rule.percent / 100
    charged = max(amount_minor, math.floor(Decimal(amount_minor + rule.fixed_minor - 1) / rate))
    while charged - rule.fee_on(charged) < amount_minor:
        charged += 1
    return charged


FEE_ENTRY = re.compile(r"(?P<provider>[a-z]+):(?P<currency>[A-Z]{3})=(?P<percent>\d+(?:\.\d+)?)%"
                       r"\+(?P<fixed>\d+(?:\.\d+)?)")


def parse_fee_table(text: str) -> dict[tuple[str, str], FeeRule]:
    """Parse "stripe:USD=2.9%+0.30,paypal:EUR=3.49%+0.35" into rules; raise ValueError."""
    table = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        match = FEE_ENTRY.fullmatch(entry)
        if (not match or match["currency"] not in CURRENCY_EXPONENTS
                or Decimal(match["percent"]) >= 50):
            raise ValueError(f"DONATION_FEES: cannot read {entry!r}; write provider:CUR=2.9%+0.30")
        fixed = to_minor(Decimal(match["fixed"]), match["currency"])
        table[match["provider"], match["currency"]] = FeeRule(Decimal(match["percent"]), fixed)
    return table


def _reader_locale() -> str:
    """The request's language inside the app, English outside it (scripts, the REPL)."""
    from flask import has_app_context

    if not has_app_context():
        return "en"
    from donate.i18n import locale_for_formatting

    return str(locale_for_formatting())
