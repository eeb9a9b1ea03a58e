from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from donate.money import AmountError, FeeRule, Money, gross_up, money, parse_amount, parse_fee_table

LOW, HIGH = money("1.00", "EUR"), money("10000.00", "EUR")


@pytest.mark.parametrize(("text", "minor"), [
    ("25", 2500), ("25.5", 2550), ("25.50", 2550), ("25,50", 2550), (" 7 ", 700),
    ("1", 100), ("10000", 1_000_000), ("0001.00", 100),
])
def test_amounts_a_reader_types_become_exact_minor_units(text, minor):
    assert parse_amount(text, "EUR", LOW, HIGH) == Money(minor, "EUR")


@pytest.mark.parametrize(("text", "message"), [
    ("", "Enter an amount"),
    ("   ", "Enter an amount"),
    ("-5", "without signs"),
    ("+5", "without signs"),
    ("1e3", "without signs"),
    ("NaN", "without signs"),
    ("Infinity", "without signs"),
    ("1,000.00", "without signs"),
    ("10.", "without signs"),
    (".5", "without signs"),
    ("5 000", "without signs"),
    ("$5", "without signs"),
    ("٣", "without signs"),  # non-ASCII digits are not amounts
    ("25.505", "at most 2 decimals"),
    ("1,000", "at most 2 decimals"),
    ("0.99", "smallest donation is €1.00"),
    ("0", "smallest donation"),
    ("10000.01", "largest donation online is €10,000.00"),
    ("9" * 15, "largest donation"),
    ("9" * 16, "without signs"),
])
def test_bad_amounts_are_refused_with_a_reason(text, message):
    with pytest.raises(AmountError, match=message):
        parse_amount(text, "EUR", LOW, HIGH)


@pytest.mark.parametrize("value", [25.5, 25, None, b"25", ["25"]])
def test_amounts_that_are_not_text_are_refused(value):
    with pytest.raises(AmountError, match="as text"):
        parse_amount(value, "EUR", LOW, HIGH)


def test_zero_decimal_currencies_take_no_decimals():
    assert parse_amount("500", "JPY", money("100", "JPY"), money("100000", "JPY")).minor == 500
    with pytest.raises(AmountError, match="at most 0 decimals"):
        parse_amount("500.5", "JPY", money("100", "JPY"), money("100000", "JPY"))


def test_money_refuses_floats_and_unknown_currencies():
    with pytest.raises(TypeError):
        Money(10.0, "EUR")
    with pytest.raises(TypeError):
        Money(True, "EUR")
    with pytest.raises(ValueError):
        Money(10, "XYZ")


@pytest.mark.parametrize(("amount", "shown"), [
    (Money(2550, "USD"), "$25.50"), (Money(1000, "EUR"), "€10.00"), (Money(5, "EUR"), "€0.05"),
    (Money(500, "JPY"), "¥500"), (Money(1234, "CHF"), "CHF\u00a012.34"),
    (Money(1500, "BHD"), "BHD\u00a01.500"), (Money(102550, "USD"), "$1,025.50"),
])
def test_money_is_formatted_with_the_currencys_decimals(amount, shown):
    assert amount.format() == shown


@pytest.mark.parametrize(("amount", "shown"), [
    (Money(2550, "USD"), "25,50\u00a0$"), (Money(102550, "EUR"), "1.025,50\u00a0€"),
    (Money(500, "JPY"), "500\u00a0¥"), (Money(1234, "CHF"), "12,34\u00a0CHF"),
])
def test_money_is_formatted_as_german_readers_write_it(amount, shown):
    assert amount.format("de") == shown


@given(st.integers(min_value=100, max_value=1_000_000), st.sampled_from(["USD", "EUR"]))
def test_formatting_then_parsing_gives_back_the_same_amount(minor, currency):
    amount = Money(minor, currency)
    assert parse_amount(amount.major_text(), currency, Money(100, currency),
                        Money(1_000_000, currency)) == amount


@given(st.text(max_size=40))
def test_any_text_either_parses_within_range_or_is_refused_cleanly(text):
    try:
        amount = parse_amount(text, "EUR", LOW, HIGH)
    except AmountError as refused:
        assert str(refused)
    else:
        assert LOW <= amount <= HIGH and type(amount.minor) is int


@given(st.decimals(min_value=Decimal("1.00"), max_value=Decimal("10000"), places=2,
                   allow_nan=False, allow_infinity=False))
def test_every_decimal_in_range_parses_exactly(value):
    assert parse_amount(str(value), "EUR", LOW, HIGH).minor == int(value * 100)


STRIPE_USD = FeeRule(Decimal("2.9"), 30)


def test_covering_fees_grosses_up_so_the_net_is_the_chosen_amount():
    charged = gross_up(1000, STRIPE_USD)
    assert charged == 1061  # 10.61 - (0.31 + 0.30) = 10.00
    assert charged - STRIPE_USD.fee_on(charged) == 1000


@given(st.integers(min_value=100, max_value=1_000_000),
       st.decimals(min_value=0, max_value=10, places=2), st.integers(min_value=0, max_value=100))
def test_gross_up_is_the_smallest_charge_that_nets_the_amount(amount, percent, fixed):
    rule = FeeRule(percent, fixed)
    charged = gross_up(amount, rule)
    assert charged - rule.fee_on(charged) >= amount
    assert (charged - 1) - rule.fee_on(charged - 1) < amount


def test_fee_table_is_read_from_config_text():
    table = parse_fee_table("stripe:USD=2.9%+0.30, paypal:EUR=3.49%+0.35")
    assert table["stripe", "USD"] == STRIPE_USD
    assert table["paypal", "EUR"] == FeeRule(Decimal("3.49"), 35)


@pytest.mark.parametrize("text", ["stripe:USD=2.9", "stripe:usd=2.9%+0.30", "x:XYZ=1%+0",
                                  "stripe:USD=2.9%+0.301"])
def test_a_bad_fee_table_is_refused_at_startup(text):
    with pytest.raises(ValueError):
        parse_fee_table(text)
