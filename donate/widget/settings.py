"""The widget's amounts, presets and fee rules, read from config once and checked at startup."""

from dataclasses import dataclass

from flask import Flask, current_app

from donate.money import (
    CURRENCY_EXPONENTS,
    CURRENCY_SYMBOLS,
    FeeRule,
    Money,
    money,
    parse_fee_table,
)


@dataclass(frozen=True)
class CurrencyOption:
    code: str
    symbol: str  #: "$", "€", or the code where there is no common symbol
    decimals: int


@dataclass(frozen=True)
class WidgetSettings:
    currencies: tuple[CurrencyOption, ...]
    minimum: dict[str, Money]
    maximum: dict[str, Money]
    slider_min: int  #: major units; the slider moves in whole units
    slider_max: int
    default_amount: int
    presets: tuple[int, ...]
    quick_amount: Money
    fees: dict[tuple[str, str], FeeRule]

    @classmethod
    def from_config(cls, config: dict) -> "WidgetSettings":
        codes = [code.upper() for code in config["CURRENCIES"]]
        unknown = [code for code in codes if code not in CURRENCY_EXPONENTS]
        if unknown or not codes:
            raise ValueError(f"CURRENCIES: unknown or empty {unknown or codes}")
        whole = [int(config[name]) for name in ("SLIDER_MIN", "SLIDER_MAX", "DEFAULT_AMOUNT")]
        presets = tuple(int(preset) for preset in config["PRESETS"])
        if not whole[0] < whole[1] or not all(whole[0] <= p <= whole[1] for p in presets):
            raise ValueError("SLIDER_MIN < SLIDER_MAX, and PRESETS must lie between them")
        quick_currency = config["QUICK_CURRENCY"].upper()
        if quick_currency not in codes:
            raise ValueError(f"QUICK_CURRENCY {quick_currency} is not one of CURRENCIES")
        return cls(
            currencies=tuple(CurrencyOption(code, CURRENCY_SYMBOLS.get(code, code),
                                            CURRENCY_EXPONENTS[code]) for code in codes),
            minimum={code: money(config["DONATION_MIN"], code) for code in codes},
            maximum={code: money(config["DONATION_MAX"], code) for code in codes},
            slider_min=whole[0], slider_max=whole[1], default_amount=whole[2], presets=presets,
            quick_amount=money(config["QUICK_AMOUNT"], quick_currency),
            fees=parse_fee_table(config["DONATION_FEES"]),
        )

    @property
    def currency_codes(self) -> tuple[str, ...]:
        return tuple(option.code for option in self.currencies)

    def fee_rule(self, provider: str, currency: str) -> FeeRule | None:
        return self.fees.get((provider, currency))

    def fee_table_for_script(self, providers: list[str]) -> dict:
        """{provider: {currency: [percent as text, fixed minor]}} for the live total."""
        return {provider: {code: [str(rule.percent), rule.fixed_minor]
                           for code in self.currency_codes
                           if (rule := self.fee_rule(provider, code))}
                for provider in providers}


def init_app(app: Flask) -> None:
    app.extensions["donate.widget"] = WidgetSettings.from_config(app.config)


def widget_settings() -> WidgetSettings:
    return current_app.extensions["donate.widget"]
