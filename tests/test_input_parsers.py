"""Every parser of outside input, fed whatever hypothesis makes: an answer or a refusal, never
a crash. (The amount parser's own properties are in test_money.py.)"""

import ipaddress
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from donate.abuse.blocklist import read_target
from donate.abuse.form_token import form_token_problem, issue_form_token
from donate.abuse.honeypot import honeypot_filled
from donate.abuse.networks import UNKNOWN, address_in, network_of
from donate.emails import MAX_EMAIL, read_email
from donate.payments.base import WebhookRejected
from donate.payments.providers.paypal import PayPalProvider
from donate.payments.providers.sandbox import SIGNATURE_HEADER, SandboxProvider
from donate.payments.providers.stripe import StripeProvider
from donate.widget.intake import MAX_SOURCE, _read_source, read_donation
from donate.widget.settings import widget_settings

FIXTURES_OK = settings(max_examples=200, deadline=None,
                       suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8)
#: Header values as a client could send them: digits (huge ones too), commas, equals signs.
SIGNATURE_VALUES = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"t=-?[0-9]{1,400},v1=[0-9a-f]{0,64}", fullmatch=True),
    st.builds(lambda t, rest: f"t={t}{rest}", st.integers(), st.text(max_size=20)),
    st.builds("t={},v1=00".format, st.integers(min_value=10**300, max_value=10**4000)),
    st.builds(lambda v1: f"t={int(time.time())},v1={v1}", st.text(max_size=70)))


@given(st.text(max_size=300))
def test_read_email_answers_an_address_or_a_message(value):
    try:
        address = read_email(value)
    except ValueError as refused:
        assert str(refused)
        return
    assert address == address.lower() and len(address) <= MAX_EMAIL
    assert "@" in address and not any(char in address for char in "\r\n\t <>")


@given(st.text(max_size=3000) | st.from_regex(r"https?://[a-z.]{1,20}/.{0,40}", fullmatch=True))
def test_the_source_reader_keeps_only_http_addresses_and_never_fails(value):
    source = _read_source(value)
    assert source is None or (source == value and len(value) <= MAX_SOURCE
                              and value.startswith(("http://", "https://"))
                              and "\x00" not in value)


@FIXTURES_OK
@given(key=st.text(max_size=300), fields=st.dictionaries(
    st.sampled_from(["amount", "currency", "frequency", "provider", "email", "name", "source",
                     "cover_fees", "newsletter"]), JSON_VALUES))
def test_any_request_fields_and_idempotency_key_are_read_or_refused_per_field(app, key, fields):
    intake = read_donation(fields, widget_settings(), ["sandbox"], key)
    assert (intake.request is None) == bool(intake.errors)
    key_is_fine = 1 <= len(key) <= 255 and all(0x21 <= ord(char) <= 0x7e for char in key)
    assert ("Idempotency-Key" in intake.errors) == (not key_is_fine)
    assert all(isinstance(message, str) and message for message in intake.errors.values())


@given(st.dictionaries(st.sampled_from([SIGNATURE_HEADER, "Content-Type"]), SIGNATURE_VALUES),
       st.binary(max_size=200))
def test_the_sandbox_signature_header_is_checked_without_crashing(headers, body):
    with pytest.raises(WebhookRejected):
        SandboxProvider("secret").verify_webhook(headers, body)


@given(st.binary(max_size=300) | JSON_VALUES.map(lambda value: json.dumps(value).encode()))
def test_a_correctly_signed_body_is_an_event_or_refused(body):
    provider = SandboxProvider("secret")
    try:
        event = provider.verify_webhook(provider.sign(body), body)
    except WebhookRejected:
        return
    assert event.payload == body.decode()


@given(st.dictionaries(st.just("Stripe-Signature"), SIGNATURE_VALUES), st.binary(max_size=200))
def test_the_stripe_signature_header_is_checked_without_crashing(headers, body):
    provider = StripeProvider("sk_test_x", "whsec_x", "http://127.0.0.1:9", "Org", 1)
    with pytest.raises(WebhookRejected):
        provider.verify_webhook(headers, body)


@given(st.binary(max_size=200) | st.just(b"[" * 100_000))
def test_an_unsigned_paypal_body_is_refused_before_anyone_is_asked(body):
    provider = PayPalProvider("http://127.0.0.1:9", "id", "secret", "hook", "Org", 1)
    with pytest.raises(WebhookRejected):
        provider.verify_webhook({}, body)


@FIXTURES_OK
@given(JSON_VALUES | st.text(max_size=300))
def test_any_form_token_is_accepted_or_refused_with_a_message(app, token):
    problem = form_token_problem(token)
    assert problem is None or problem.endswith("again.")


@FIXTURES_OK
@given(st.floats(min_value=-86400 * 3, max_value=86400 * 3))
def test_a_genuine_token_is_accepted_exactly_inside_its_window(app, age):
    app.config.update(MIN_FORM_SECONDS=2, FORM_TOKEN_MAX_AGE=3600)
    problem = form_token_problem(issue_form_token(time.time() - age))
    if 2.5 <= age <= 3599:
        assert problem is None
    elif age < 1.5 or age > 3601:
        assert problem is not None


@given(st.ip_addresses())
def test_every_address_lies_in_its_own_network(address):
    network = network_of(str(address))
    assert address_in(str(address), network)
    assert ipaddress.ip_network(network).prefixlen in (24, 64)


@given(st.text(max_size=60))
def test_an_unreadable_address_has_the_unknown_network(value):
    network = network_of(value)
    assert network == UNKNOWN or ipaddress.ip_network(network)


@given(JSON_VALUES)
def test_the_honeypot_reads_any_value(value):
    assert honeypot_filled({"website": value}, "192.0.2.0/24") in (True, False)


@given(st.text(max_size=80))
def test_a_block_target_is_a_network_an_email_or_refused(value):
    try:
        network, email = read_target(value)
    except ValueError:
        return
    assert (network is None) != (email is None)
