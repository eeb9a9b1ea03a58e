"""Checkout creation is limited per address, per network (/24, /64) and per email given."""

import pytest

from tests.abuse.conftest import written

LIMITS = {"RATELIMIT_ENABLED": True, "DONATION_RATE_LIMIT": "100/minute",
          "DONATION_NETWORK_RATE_LIMIT": "100/minute", "DONATION_EMAIL_RATE_LIMIT": "100/minute"}


def codes(answers) -> list[int]:
    return [answer.status_code for answer in answers]


@pytest.mark.parametrize("app_overrides", [{**LIMITS, "DONATION_NETWORK_RATE_LIMIT": "3/minute"}])
def test_addresses_in_one_ipv4_24_share_a_limit_and_the_next_network_does_not(reader):
    answers = [reader.give(f"203.0.113.{host}") for host in (1, 20, 200, 254)]
    assert codes(answers) == [201, 201, 201, 429]
    assert reader.give("203.0.114.1").status_code == 201


@pytest.mark.parametrize("app_overrides", [{**LIMITS, "DONATION_NETWORK_RATE_LIMIT": "2/minute"}])
def test_addresses_in_one_ipv6_64_share_a_limit(reader):
    inside = ["2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::99"]
    assert codes(reader.give(address) for address in inside) == [201, 201, 429]
    assert reader.give("2001:db8:1:3::1").status_code == 201


@pytest.mark.parametrize("app_overrides", [{**LIMITS, "DONATION_EMAIL_RATE_LIMIT": "2/minute"}])
def test_one_email_address_is_limited_across_networks_whatever_its_spelling(reader):
    spellings = ["reader@example.org", " Reader@Example.ORG ", "READER@example.org"]
    answers = [reader.give(f"198.51.{n}.7", email=email) for n, email in enumerate(spellings)]
    assert codes(answers) == [201, 201, 429]
    assert reader.give("198.51.9.7", email="someone.else@example.org").status_code == 201


@pytest.mark.parametrize("app_overrides", [{**LIMITS, "DONATION_EMAIL_RATE_LIMIT": "1/minute"}])
def test_the_email_limit_counts_only_requests_that_give_an_email(reader):
    assert codes(reader.give(f"198.51.{n}.7") for n in range(4)) == [201] * 4
    assert codes(reader.give(f"198.51.{n}.8", email="a@example.org") for n in range(2)) == [
        201, 429]


@pytest.mark.parametrize("app_overrides", [{**LIMITS, "DONATION_RATE_LIMIT": "2/minute"}])
def test_a_limited_request_says_so_in_words_with_a_sensible_retry_after(reader, client):
    answers = [reader.give() for _ in range(3)]
    assert codes(answers) == [201, 201, 429]
    limited = answers[-1]
    assert "Please wait a minute and try again" in limited.get_json()["error"]
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "Retry-After" not in answers[0].headers  # only a refusal says when to come back
    assert "X-RateLimit-Remaining" not in answers[0].headers  # nor how many tries are left
    page = client.post("/donations", data={}, environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert page.status_code == 429
    assert b"Please wait a minute" in page.data
    assert 1 <= int(page.headers["Retry-After"]) <= 60


@pytest.mark.parametrize("app_overrides", [{**LIMITS, "DONATION_RATE_LIMIT": "1/minute"}])
def test_a_limited_request_writes_nothing(reader):
    reader.give(email="first@example.org")
    before = written()
    assert reader.give(email="second@example.org").status_code == 429
    assert written() == before
