"""Behind a load balancer (PROXY_FIX_HOPS=1) the reader's address and scheme come from the
X-Forwarded-* headers the balancer sets; without the setting nobody can choose them."""

import pytest
from sqlalchemy import select

from donate.extensions import db
from donate.ledger.models import Donation

BALANCER = "10.0.0.2"
FORM = {"amount": "5", "currency": "EUR", "frequency": "once", "provider": "sandbox"}
LIMITED = {"RATELIMIT_ENABLED": True, "DONATION_RATE_LIMIT": "1/minute"}


def via_balancer(client, reader: str, claimed: str | None = None):
    """A request the balancer forwards: it appends the reader's address to X-Forwarded-For."""
    forwarded = f"{claimed}, {reader}" if claimed else reader
    return client.post("/donations", data=FORM, environ_base={"REMOTE_ADDR": BALANCER},
                       headers={"Accept": "application/json", "X-Forwarded-For": forwarded,
                                "X-Forwarded-Proto": "https"})


@pytest.mark.parametrize("app_overrides", [{**LIMITED, "PROXY_FIX_HOPS": 1}])
def test_behind_one_proxy_each_reader_is_limited_and_linked_on_their_own(client):
    first = via_balancer(client, "203.0.113.5")
    assert first.status_code == 201
    assert first.get_json()["redirect_url"].startswith("https://")
    assert via_balancer(client, "198.51.100.9").status_code == 201  # another reader
    assert via_balancer(client, "203.0.113.5").status_code == 429  # the same one again
    donation = db.session.scalar(select(Donation).where(
        Donation.public_id == first.get_json()["id"]))
    assert donation.client_network == "203.0.113.0/24"


@pytest.mark.parametrize("app_overrides", [{**LIMITED, "PROXY_FIX_HOPS": 1}])
def test_an_address_the_reader_claims_in_the_header_is_not_believed(client):
    assert via_balancer(client, "203.0.113.5", claimed="192.0.2.1").status_code == 201
    assert via_balancer(client, "203.0.113.5", claimed="192.0.2.2").status_code == 429


@pytest.mark.parametrize("app_overrides", [LIMITED])
def test_without_the_setting_forwarded_headers_are_ignored(client):
    first = via_balancer(client, "203.0.113.5")
    assert first.get_json()["redirect_url"].startswith("http://")
    assert via_balancer(client, "198.51.100.9").status_code == 429  # all look like the balancer
