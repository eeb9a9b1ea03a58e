"""Helpers for the abuse tests: requests from chosen addresses, and counting what was written."""

import pytest
from sqlalchemy import func, select

from donate.extensions import db
from donate.ledger.models import Donation, Donor
from donate.outbox.models import OutboxMessage

JSON = {"Accept": "application/json"}
VALID = {"amount": "25", "currency": "USD", "frequency": "once", "provider": "sandbox"}


def written() -> tuple[int, int, int]:
    """(donations, donors, outbox messages): what a refused request must leave alone."""
    db.session.rollback()
    return tuple(db.session.scalar(select(func.count(model.id)))
                 for model in (Donation, Donor, OutboxMessage))


class Reader:
    """Posts to /donations from a chosen address, as JSON or as the widget's plain form."""

    def __init__(self, client) -> None:
        self.client = client

    def give(self, address: str = "192.0.2.10", **fields):
        return self.client.post("/donations", json={**VALID, **fields}, headers=JSON,
                                environ_base={"REMOTE_ADDR": address})

    def post_form(self, data: dict, address: str = "192.0.2.10"):
        return self.client.post("/donations", data=data, environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def reader(client) -> Reader:
    return Reader(client)
