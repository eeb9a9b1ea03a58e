"""APPLY_EVENTS_IN_WORKER: the webhook only stores; `flask events work` applies in batches."""

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from donate.extensions import db
from donate.ledger.models import Donation, ProviderEvent, utcnow
from donate.outbox.models import OutboxMessage
from donate.payments import worker
from tests.conftest import POSTGRES
from tests.payments.flow import deliver_concurrently


@pytest.fixture
def app_overrides():
    return {"APPLY_EVENTS_IN_WORKER": True}


def started_donations(donations, count: int) -> list[Donation]:
    ids = [donations.start(email=f"reader{n}@example.org")["id"] for n in range(count)]
    return list(db.session.scalars(select(Donation).where(Donation.public_id.in_(ids))
                                   .order_by(Donation.id)))


def statuses() -> list[str]:
    db.session.rollback()  # a fresh snapshot: other connections wrote
    return list(db.session.scalars(select(Donation.status).order_by(Donation.id)))


def test_a_delivery_is_stored_and_acknowledged_and_the_worker_applies_it(
        donations, sandbox_webhooks, runner):
    [donation] = started_donations(donations, 1)
    response = sandbox_webhooks.deliver(sandbox_webhooks.body_for(donation, "pay"))
    assert (response.status_code, response.get_json()["error"]) == (200, None)
    assert statuses() == ["pending"]
    result = runner.invoke(args=["events", "work", "--once"])
    assert "1 event(s) taken" in result.output
    assert statuses() == ["completed"]


def test_when_a_burst_is_replayed_no_money_is_double_counted(donations, sandbox_webhooks):
    paid = started_donations(donations, 5)
    bodies = [sandbox_webhooks.body_for(donation, "pay") for donation in paid]
    for body in bodies + bodies[::-1] + bodies[:2]:
        assert sandbox_webhooks.deliver(body).status_code == 200
    assert db.session.scalar(select(func.count(ProviderEvent.id))) == 5
    worker.work(once=True)
    assert statuses() == ["completed"] * 5
    numbers = db.session.scalars(select(Donation.receipt_number).order_by(Donation.id)).all()
    assert sorted(number[-6:] for number in numbers) == [f"{n:06d}" for n in range(1, 6)]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 5
    assert worker.work(once=True) == 0


def test_twenty_concurrent_copies_of_a_delivery_are_stored_once_and_applied_once(
        live_server, donations, sandbox_webhooks):
    [donation] = started_donations(donations, 1)
    body = sandbox_webhooks.body_for(donation, "pay")
    answers = deliver_concurrently(f"{live_server}/webhooks/sandbox", body,
                                   sandbox_webhooks.signed(body))
    assert answers == [200] * 20
    db.session.rollback()  # a fresh snapshot: the server's connections wrote
    stored = db.session.scalars(select(ProviderEvent)).all()
    assert [(row.type, row.processed_at) for row in stored] == [("checkout.paid", None)]
    assert worker.work(once=True) == 1
    assert statuses() == ["completed"]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1


def test_a_refused_or_early_event_in_a_batch_does_not_hold_up_the_others(
        donations, sandbox_webhooks):
    first, second = started_donations(donations, 2)
    unknown = json.dumps({"id": "evt_unknown", "type": "checkout.paid", "created": 1,
                          "data": {"donation": "nope", "payment": "p", "amount": 1,
                                   "currency": "EUR"}}).encode()
    for body in (sandbox_webhooks.body_for(first, "pay"), unknown,
                 sandbox_webhooks.body_for(second, "decline")):
        sandbox_webhooks.deliver(body)
    worker.work(once=True)
    assert statuses() == ["completed", "failed"]
    early = db.session.scalar(select(ProviderEvent).where(ProviderEvent.event_id == "evt_unknown"))
    assert (early.processed_at, early.error[:16]) == (None, "UnknownReference")


def test_a_batch_is_applied_in_one_go_and_event_by_event_only_when_one_is_refused(
        donations, sandbox_webhooks, caplog):
    paid = started_donations(donations, 4)
    for donation in paid[:3]:
        sandbox_webhooks.deliver(sandbox_webhooks.body_for(donation, "pay"))
    with caplog.at_level("INFO", logger="donate.ledger"):
        worker.work(once=True)
    assert "one savepoint per event" not in caplog.text
    assert statuses() == ["completed"] * 3 + ["pending"]
    unknown = json.dumps({"id": "evt_unknown", "type": "checkout.paid", "created": 1,
                          "data": {"donation": "nope", "payment": "p", "amount": 1,
                                   "currency": "EUR"}}).encode()
    for body in (unknown, sandbox_webhooks.body_for(paid[3], "pay")):
        sandbox_webhooks.deliver(body)
    with caplog.at_level("INFO", logger="donate.ledger"):
        worker.work(once=True)
    assert "one savepoint per event" in caplog.text
    assert statuses() == ["completed"] * 4
    put_aside = db.session.scalars(select(ProviderEvent.error).where(
        ProviderEvent.error.is_not(None))).all()
    assert [error.split(":")[0] for error in put_aside] == ["UnknownReference"]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 4


def test_an_event_that_fails_unexpectedly_is_set_aside_and_the_rest_applied(
        donations, sandbox_webhooks, monkeypatch, caplog):
    broken, fine = started_donations(donations, 2)
    for donation in (broken, fine):
        sandbox_webhooks.deliver(sandbox_webhooks.body_for(donation, "pay"))
    translate = worker.translate

    def failing_for_one(row):
        if broken.public_id in row.payload:
            raise RuntimeError("a bug in one provider payload's translation")
        return translate(row)

    monkeypatch.setattr(worker, "translate", failing_for_one)
    worker.work(once=True)
    assert statuses() == ["pending", "completed"]
    assert "event not applied; tried again later" in caplog.text
    monkeypatch.setattr(worker, "translate", translate)
    worker.work(once=True)  # a new worker (a restart) tries it again at once
    assert statuses() == ["completed", "completed"]


def test_with_inline_application_the_worker_only_takes_what_the_endpoint_left(
        app, donations, sandbox_webhooks):
    app.config["APPLY_EVENTS_IN_WORKER"] = False
    left, fresh = started_donations(donations, 2)
    app.config["APPLY_EVENTS_IN_WORKER"] = True  # stored, as if the endpoint crashed after
    for donation in (left, fresh):
        sandbox_webhooks.deliver(sandbox_webhooks.body_for(donation, "pay"))
    app.config["APPLY_EVENTS_IN_WORKER"] = False
    db.session.execute(update(ProviderEvent).where(ProviderEvent.payload.contains(
        left.public_id)).values(received_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    worker.work(once=True)
    assert statuses() == ["completed", "pending"]


@pytest.mark.skipif(not POSTGRES, reason="SKIP LOCKED needs PostgreSQL (set TEST_DATABASE_URL)")
def test_on_postgres_two_workers_share_a_backlog_and_apply_each_event_once(
        app, donations, sandbox_webhooks):
    paid = started_donations(donations, 120)
    for donation in paid:
        sandbox_webhooks.deliver(sandbox_webhooks.body_for(donation, "pay"))
    taken = []

    def work():
        with app.app_context():
            taken.append(worker.work(once=True))
            db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(taken) == 120
    assert statuses() == ["completed"] * 120
    assert db.session.scalar(select(func.count(func.distinct(Donation.receipt_number)))) == 120
