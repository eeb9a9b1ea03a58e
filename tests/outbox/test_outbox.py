"""The outbox over real SMTP: delivered once, retried through outages, never lost."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from donate.extensions import db
from donate.ledger.models import utcnow
from donate.outbox import worker
from donate.outbox.enqueue import enqueue
from donate.outbox.models import OutboxMessage, OutboxStatus
from tests.conftest import POSTGRES, make_app, smtp_settings
from tests.fakes.smtp import SilentSmtp

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_overrides(smtp):
    return smtp_settings(smtp)


def queue(count: int, prefix: str = "test") -> None:
    for number in range(count):
        enqueue(kind="test", dedupe_key=f"{prefix}:{number}", to=f"reader{number}@example.org",
                subject=f"Message {number}", text=f"Body {number}", html=f"<p>Body {number}</p>")
    db.session.commit()


def statuses() -> dict[str, int]:
    return dict(db.session.execute(select(OutboxMessage.status, func.count())
                                   .group_by(OutboxMessage.status)).all())


def make_all_due() -> None:
    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
    db.session.commit()


def test_a_message_is_sent_once_with_both_parts(app, smtp):
    queue(1)
    queue(1)  # the same dedupe key again: nothing new
    assert worker.work(once=True).sent == 1
    [message] = smtp.messages
    assert (message["To"], message["Subject"]) == ("reader0@example.org", "Message 0")
    assert message.get_body(("plain",)).get_content().strip() == "Body 0"
    assert "<p>Body 0</p>" in message.get_body(("html",)).get_content()
    assert worker.work(once=True).sent == 0
    assert statuses() == {"sent": 1}


def test_with_no_mail_server_messages_are_kept_for_the_dev_mailbox(database_url):
    app = make_app(database_url)  # no MAIL_SERVER
    with app.app_context():
        queue(2)
        assert worker.work(once=True).kept == 2
        page = app.test_client().get("/dev/mailbox/").get_data(as_text=True)
        assert "Message 0" in page and "Message 1" in page
        message = db.session.scalar(select(OutboxMessage).limit(1))
        detail = app.test_client().get(f"/dev/mailbox/{message.id}").get_data(as_text=True)
        assert "Body 0" in detail
        raw = app.test_client().get(f"/dev/mailbox/{message.id}/html")
        assert "script-src" not in raw.headers["Content-Security-Policy"]
        assert "default-src 'none'" in raw.headers["Content-Security-Policy"]
        db.session.execute(OutboxMessage.__table__.delete())
        db.session.commit()


def test_the_dev_mailbox_does_not_exist_in_production(database_url):
    from config import ProductionConfig
    from donate import create_app

    app = create_app(ProductionConfig, SECRET_KEY="k" * 32, SQLALCHEMY_DATABASE_URI=database_url,
                     DONATE_SANDBOX=False, PUBLIC_URL="https://give.example")
    assert app.test_client().get("/dev/mailbox/").status_code == 404


def test_when_smtp_is_down_messages_wait_and_all_arrive_once_after_recovery(app, smtp):
    queue(5)
    smtp.stop()
    assert worker.work(once=True).failed == 5
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert {(row.status, row.attempts) for row in rows} == {("pending", 1)}
    assert all(row.next_attempt_at > utcnow() for row in rows)  # backing off, not hammering
    assert worker.work(once=True).failed == 0  # nothing is due yet
    smtp.start()
    make_all_due()
    assert worker.work(once=True).sent == 5
    assert sorted(message["Subject"] for message in smtp.messages) == [
        f"Message {n}" for n in range(5)]


def test_backoff_grows_and_is_capped():
    assert [worker.backoff(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [
        30, 60, 120, 3600, 3600]


def test_after_the_last_attempt_a_message_is_dead_until_retried(app, smtp, runner):
    queue(1)
    smtp.stop()
    for _attempt in range(worker.MAX_ATTEMPTS):
        make_all_due()
        worker.work(once=True)
    assert statuses() == {"dead": 1}
    smtp.start()
    result = runner.invoke(args=["outbox", "retry", "--dead"])
    assert "1 message(s) queued again" in result.output
    assert runner.invoke(args=["outbox", "work", "--once"]).exit_code == 0
    assert statuses() == {"sent": 1} and len(smtp.messages) == 1


def test_a_hung_smtp_server_fails_within_the_timeout(database_url):
    silent = SilentSmtp()
    app = make_app(database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=silent.port,
                   MAIL_TIMEOUT=0.5)
    try:
        with app.app_context():
            queue(1)
            started = time.monotonic()
            assert worker.work(once=True).failed == 1
            assert time.monotonic() - started < 5
            assert "timed out" in db.session.scalar(select(OutboxMessage.last_error))
            db.session.execute(OutboxMessage.__table__.delete())
            db.session.commit()
    finally:
        silent.close()


def test_a_message_claimed_by_a_worker_that_died_is_sent_after_its_lease(app, smtp):
    queue(3)
    claimed = worker.claim_batch()  # ... and the worker dies before sending
    assert len(claimed) == 3
    assert worker.work(once=True).sent == 0  # still leased to the dead worker
    db.session.execute(update(OutboxMessage).values(claimed_until=utcnow() - timedelta(1)))
    db.session.commit()
    assert worker.work(once=True).sent == 3


def test_a_worker_killed_mid_batch_loses_nothing(app, smtp, database_url):
    queue(200)
    env = {**os.environ, "DATABASE_URL": database_url, "MAIL_SERVER": "127.0.0.1",
           "MAIL_PORT": str(smtp.port), "DONATE_ENV": "development", "FLASK_APP": "wsgi"}
    process = subprocess.Popen([sys.executable, "-m", "flask", "outbox", "work"], cwd=PROJECT,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while len(smtp.messages) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 20 <= len(smtp.messages) < 200, "the worker should have been killed mid-way"
    db.session.execute(update(OutboxMessage).where(OutboxMessage.status == "sending")
                       .values(claimed_until=utcnow() - timedelta(seconds=1)))  # lease over
    db.session.commit()
    worker.work(once=True)
    assert {message["Subject"] for message in smtp.messages} == {
        f"Message {n}" for n in range(200)}
    assert statuses() == {"sent": 200}


@pytest.mark.skipif(not POSTGRES, reason="SKIP LOCKED needs PostgreSQL (set TEST_DATABASE_URL)")
def test_two_workers_on_postgres_never_send_a_row_twice(app, smtp):
    queue(300)
    errors = []

    def run_worker():
        try:
            with app.app_context():
                worker.work(once=True)
        except Exception as error:  # surfaced below; a thread cannot fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=run_worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    subjects = [message["Subject"] for message in smtp.messages]
    assert len(subjects) == len(set(subjects)) == 300


def test_the_message_id_is_stable_for_a_message(app, smtp):
    queue(1)
    worker.work(once=True)
    db.session.execute(update(OutboxMessage).values(status=OutboxStatus.PENDING))
    db.session.commit()
    worker.work(once=True)  # sent again, as after a crash between send and commit
    first, second = smtp.messages
    assert first["Message-ID"] == second["Message-ID"]
