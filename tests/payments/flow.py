"""What the provider test helpers share: a reader starting a donation, and reading it back."""

from sqlalchemy import select

from donate.extensions import db
from donate.ledger.models import Donation

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
