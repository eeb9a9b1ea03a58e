"""Failed payments per network and overall: a stricter checkout there, and one alert per hour."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from donate.abuse.models import AbuseAlert
from donate.extensions import db
from donate.ledger.models import Donation, utcnow
from donate.outbox.models import OutboxMessage

ATTACKER = "203.0.113.66"
NEIGHBOUR = "203.0.113.201"  # same /24
ELSEWHERE = "198.51.100.5"
STAFF = "alerts@newsroom.example"


@pytest.fixture
def app_overrides():
    return {"VELOCITY_NETWORK_FAILURES": 3, "VELOCITY_GLOBAL_FAILURES": 100,
            "VELOCITY_WINDOW_MINUTES": 15, "STRICT_MIN_AMOUNT": "5.00",
            "STAFF_ALERT_EMAIL": STAFF}


def declined(reader, donations, address: str, count: int) -> None:
    """`count` card tests from `address`: small checkouts the provider declines."""
    for _ in range(count):
        started = reader.give(address, amount="1").get_json()
        donations.decide(started["id"], "decline")


def alerts() -> list[AbuseAlert]:
    db.session.rollback()
    return list(db.session.scalars(select(AbuseAlert)))


def staff_emails() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == STAFF)))


def test_below_the_threshold_nothing_changes(reader, donations):
    declined(reader, donations, ATTACKER, 2)
    assert reader.give(NEIGHBOUR, amount="1").status_code == 201
    assert alerts() == []


def test_above_the_threshold_the_network_must_give_an_email_and_a_higher_amount(reader,
                                                                                 donations):
    declined(reader, donations, ATTACKER, 3)
    refused = reader.give(NEIGHBOUR, amount="1")
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]
    assert "email address" in errors["email"] and "$5.00" in errors["amount"]
    assert reader.give(NEIGHBOUR, amount="5", email="honest@example.org").status_code == 201
    assert reader.give(ELSEWHERE, amount="1").status_code == 201  # other networks as before


def test_staff_are_alerted_once_an_hour_in_the_same_transaction_as_the_alert(reader, donations):
    declined(reader, donations, ATTACKER, 3)
    for _ in range(3):
        reader.give(ATTACKER, amount="1")
    [alert] = alerts()
    assert (alert.kind, alert.scope, alert.failures) == ("network", "203.0.113.0/24", 3)
    [email] = staff_emails()
    assert email.dedupe_key == alert.dedupe_key
    assert "203.0.113.0/24" in email.subject
    assert "flask abuse block 203.0.113.0/24" in email.body_text


def test_without_a_staff_address_the_alert_is_kept_and_logged(app, reader, donations, caplog):
    app.config["STAFF_ALERT_EMAIL"] = None
    declined(reader, donations, ATTACKER, 3)
    reader.give(ATTACKER, amount="1")
    assert len(alerts()) == 1 and staff_emails() == []
    assert "abuse alert" in caplog.text


def test_failures_older_than_the_window_no_longer_count(reader, donations):
    declined(reader, donations, ATTACKER, 3)
    db.session.execute(update(Donation).values(created_at=utcnow() - timedelta(minutes=16)))
    db.session.commit()
    assert reader.give(NEIGHBOUR, amount="1").status_code == 201
    assert alerts() == []


def test_failures_spread_over_many_networks_make_everyone_strict(app, reader, donations):
    app.config["VELOCITY_GLOBAL_FAILURES"] = 4
    for n in range(4):
        declined(reader, donations, f"198.51.{n}.9", 1)
    assert reader.give("192.0.2.77", amount="1").status_code == 422
    assert [(alert.kind, alert.scope) for alert in alerts()] == [("global", "*")]


@pytest.mark.parametrize("app_overrides", [{
    "VELOCITY_NETWORK_FAILURES": 2, "RATELIMIT_ENABLED": True, "STRICT_RATE_LIMIT": "2/minute",
    "DONATION_RATE_LIMIT": "100/minute", "DONATION_NETWORK_RATE_LIMIT": "100/minute"}])
def test_a_network_under_pressure_gets_a_lower_rate_limit(reader, donations):
    declined(reader, donations, ATTACKER, 2)
    answers = [reader.give(NEIGHBOUR, amount="5", email=f"r{n}@example.org").status_code
               for n in range(3)]
    assert answers == [201, 201, 429]
    assert reader.give(ELSEWHERE).status_code == 201
