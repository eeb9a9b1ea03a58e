"""A helper that signs readers up through POST /newsletter and reads back what it wrote."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update

from donate.extensions import db
from donate.ledger.models import utcnow
from donate.newsletter.models import Subscriber
from donate.outbox.models import OutboxMessage

READER = "reader@example.org"
JSON = {"Accept": "application/json"}


class Newsletter:
    """Test helper: sign up as the widget does, age the last email, follow the emailed links."""

    def __init__(self, client) -> None:
        self.client = client

    def sign_up(self, email: str = READER, **fields):
        return self.client.post("/newsletter", data={"email": email, **fields})

    def subscriber(self, email: str = READER) -> Subscriber | None:
        db.session.rollback()  # a fresh snapshot: other connections wrote
        return db.session.scalar(select(Subscriber).where(Subscriber.email == email))

    def emails(self, email: str = READER) -> list[OutboxMessage]:
        db.session.rollback()  # a fresh snapshot: other connections wrote
        return list(db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.to_address == email).order_by(OutboxMessage.id)))

    def age_last_email(self, email: str = READER, by: timedelta = timedelta(minutes=61)):
        """Pretend the last confirmation email went out `by` ago."""
        db.session.execute(update(Subscriber).where(Subscriber.email == email)
                           .values(confirmation_sent_at=utcnow() - by))
        db.session.commit()

    def link(self, kind: str, email: str = READER) -> str:
        """The path of the newest email's confirm or unsubscribe link."""
        text = self.emails(email)[-1].body_text
        return urlsplit(re.search(rf"https?://\S+/newsletter/{kind}/\S+", text).group()).path

    def confirmed(self, email: str = READER) -> Subscriber:
        self.sign_up(email)
        assert self.client.post(self.link("confirm", email)).status_code == 200
        return self.subscriber(email)

    def unsubscribed(self, email: str = READER) -> Subscriber:
        self.confirmed(email)
        assert self.client.post(self.link("unsubscribe", email)).status_code == 200
        return self.subscriber(email)


@pytest.fixture
def newsletter(client) -> Newsletter:
    return Newsletter(client)


def counts() -> tuple[int, int]:
    """(subscribers, outbox messages)"""
    db.session.expire_all()
    return (db.session.scalar(select(func.count(Subscriber.id))),
            db.session.scalar(select(func.count(OutboxMessage.id))))
