"""The reader's language: which one a request speaks, and amounts and dates written in it.

Readers meet us in English or German (LANGUAGES). The widget is told its language by the
embed script (the tag's `data-lang`, else the host page's `lang`) as `?lang=`, and carries it
on in a hidden `lang` field; without one we follow the browser's Accept-Language. Staff
pages and logs stay in English. A donation, donor and subscriber remember the language they
came in, so that the emails webhooks and workers send later speak it too (`speaking`).
"""

from contextlib import AbstractContextManager
from datetime import date, datetime
from decimal import Decimal

from babel import Locale, dates, numbers
from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, refresh
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from donate.money import Money

babel = Babel()

#: Blueprints whose pages are for staff or developers (the sandbox stands in for a
#: provider's own checkout page): always English.
ENGLISH_ONLY = frozenset({"staff", "outbox", "sandbox"})


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(app.root_path + "/translations"))
    # Flask-Babel caches the locale in `g`; a request must never inherit another's choice
    # (the test client reuses one app context for many requests).
    app.before_request(refresh)
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.globals.update(reader_locale=current_locale, whole_amount=whole_amount,
                                 short_number=short_number, money_example=money_example,
                                 currency_mark=currency_mark)


def supported(value: object) -> str | None:
    """"de", "de-AT", "de_DE" -> "de"; None for what we do not speak or cannot read."""
    if not isinstance(value, str) or not 0 < len(value) <= 35:
        return None
    language = value.replace("_", "-").split("-", 1)[0].strip().lower()
    return language if language in current_app.config["LANGUAGES"] else None


def select_locale() -> str:
    """Staff pages: English. Readers: an explicit `lang` (query, form or JSON body), else
    Accept-Language, else the default."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context() or request.blueprint in ENGLISH_ONLY:
        return default
    explicit = supported(request.args.get("lang"))
    if explicit is None and request.method == "POST":
        explicit = supported(_posted_lang())
    return explicit or request.accept_languages.best_match(
        current_app.config["LANGUAGES"], default=default)


def _posted_lang() -> object:
    try:
        if request.is_json:
            body = request.get_json(silent=True)
            return body.get("lang") if isinstance(body, dict) else None
        return request.form.get("lang")
    except HTTPException:  # a body too big or unreadable: its error page still needs a language
        return None


def current_locale() -> str:
    """The language this request (or `speaking` block) uses: "en" or "de"."""
    locale = get_locale()
    return locale.language if locale else current_app.config["BABEL_DEFAULT_LOCALE"]


def speaking(language: str | None) -> AbstractContextManager:
    """Render what follows (an email, say) in `language`, whatever the request speaks."""
    return force_locale(supported(language) or current_app.config["BABEL_DEFAULT_LOCALE"])


def locale_for_formatting() -> Locale:
    return get_locale() or Locale.parse(current_app.config["BABEL_DEFAULT_LOCALE"])


def format_day(value: date | datetime, style: str = "medium") -> str:
    """A calendar day as the reader writes it: "Nov 25, 2026", "25.11.2026"."""
    if isinstance(value, datetime):
        value = value.date()
    return dates.format_date(value, style, locale=locale_for_formatting())


def whole_amount(major: int | str, currency: str) -> str:
    """A round amount without decimals, as on a preset button: "$25", "25 €"."""
    locale = locale_for_formatting()
    pattern = locale.currency_formats["standard"].pattern.split(";")[0]
    return numbers.format_currency(Decimal(major), currency, format=pattern.replace(".00", ""),
                                   locale=locale, currency_digits=False)


def short_number(money: Money) -> str:
    """The amount's number alone, without ".00" when it is round: "10", but "10,50"."""
    unit = 10 ** money.exponent
    if money.minor % unit == 0:
        return numbers.format_decimal(money.minor // unit, locale=locale_for_formatting())
    return numbers.format_decimal(money.major, format="#,##0." + "0" * money.exponent,
                                  locale=locale_for_formatting())


def money_example() -> str:
    """25.50 written as the reader writes decimals ("25,50"), for a field's hint."""
    return numbers.format_decimal(Decimal("25.50"), format="0.00", locale=locale_for_formatting())


def currency_mark(text: str) -> Markup:
    """The currency named in the amount's label, marked so that widget.js can change it."""
    return Markup('<span id="amount-currency">%s</span>') % text
