"""What the provider test helpers share: a reader starting a donation, and reading it back."""

import time
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import select

from donate.extensions import db
from donate.ledger.models import Donation
from tests.conftest import POSTGRES

JSON = {"Accept": "application/json"}


class ProviderFlow:
    """A reader giving through `provider` via POST /donations, against a fake provider."""

    provider = ""

    def __init__(self, client, fake) -> None:
        self.client, self.fake = client, fake

    def start(self, amount="10", currency="EUR", frequency="once", **fields) -> dict:
        response = self.client.post("/donations", headers=JSON, data={
            "amount": amount, "currency": currency, "frequency": frequency,
            "provider": self.provider, **fields})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def donation(self, public_id: str) -> Donation:
        db.session.rollback()  # a fresh snapshot: other connections wrote
        return db.session.scalar(select(Donation).where(Donation.public_id == public_id))


def deliver_concurrently(url: str, body: bytes, headers: dict, times: int = 20) -> list[int]:
    """POST the same delivery `times` times at once, each retrying like a provider would.

    On PostgreSQL every first answer must be final; SQLite may answer 503 while another
    writer holds its lock, and a provider retries that.
    """

    def deliver(_):
        for _attempt in range(20):
            status = requests.post(url, data=body, headers=headers, timeout=30).status_code
            if status == 200 or POSTGRES:
                return status
            time.sleep(0.05)
        return status

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(deliver, range(times)))
