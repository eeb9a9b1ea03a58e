"""PostgreSQL restarts in the middle of a webhook burst; the provider's retries bring the
ledger to exactly the expected state.

The other faults are tested where their part lives:
- the provider answering 500 (or 402, 429) or timing out at checkout:
  tests/payments/test_stripe.py::test_a_stripe_error_at_checkout_tells_the_reader_and_never_completes
  and ::test_a_stripe_timeout_at_checkout_gives_up_after_one_try;
- SMTP down for a while: tests/outbox/test_outbox.py::
  test_when_smtp_is_down_messages_wait_and_all_arrive_once_after_recovery (and a hung server:
  ::test_a_hung_smtp_server_fails_within_the_timeout);
- the outbox worker killed with SIGKILL mid-batch:
  tests/outbox/test_outbox.py::test_a_worker_killed_mid_batch_loses_nothing.
"""

import json
import os
import random
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from donate.extensions import db
from donate.ledger.models import Donation, ProviderEvent
from donate.payments.registry import provider_named
from tests.conftest import POSTGRES

DONATIONS = 60
DUPLICATES = 0.3
#: How long one event's retries may go on (a provider retries for days; we are patient enough).
RETRY_FOR_SECONDS = 90


def cluster_version() -> str | None:
    versions = sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").is_dir() else []
    return versions[-1] if versions else None


def cannot_restart() -> str | None:
    if not POSTGRES:
        return "restarting the database needs PostgreSQL (set TEST_DATABASE_URL)"
    if "127.0.0.1" not in os.environ["TEST_DATABASE_URL"]:
        return "only a PostgreSQL on 127.0.0.1 is ever restarted"
    if not shutil.which("pg_ctlcluster") or not cluster_version() or os.geteuid() != 0:
        return "restarting PostgreSQL needs pg_ctlcluster, a local cluster and root"
    return None


def pg_ctl(action: str) -> None:
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster_version(), "main",
                    action], check=True, timeout=60, capture_output=True)


def wait_until_ready(seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0:
            return True
        time.sleep(0.5)
    return False


class RetryingProvider:
    """Delivers signed events the way a provider does: anything but 2xx is tried again."""

    def __init__(self, url: str, provider) -> None:
        self.url, self.provider = url, provider
        self.attempts = 0
        self.failures = 0
        self.lock = threading.Lock()

    def deliver(self, body: bytes) -> int:
        deadline = time.monotonic() + RETRY_FOR_SECONDS
        pause = 0.1
        while True:
            headers = {**self.provider.sign(body), "Content-Type": "application/json"}
            try:
                status = requests.post(self.url, data=body, headers=headers, timeout=10
                                       ).status_code
            except requests.RequestException:
                status = None
            with self.lock:
                self.attempts += 1
                self.failures += status != 200
            if status == 200 or time.monotonic() > deadline:
                return status
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


@pytest.mark.skipif(bool(cannot_restart()), reason=cannot_restart() or "")
def test_a_database_restart_during_a_webhook_burst_loses_and_doubles_nothing(
        app, live_server, donations):
    started = [donations.start(amount=str(5 + n % 7))["id"] for n in range(DONATIONS)]
    provider = provider_named("sandbox")
    bodies = [json.dumps(provider.outcome_event(donation, "pay")).encode()
              for donation in db.session.scalars(select(Donation))]
    deliveries = bodies + random.Random(8).sample(bodies, int(len(bodies) * DUPLICATES))
    random.Random(9).shuffle(deliveries)
    sender = RetryingProvider(f"{live_server}/webhooks/sandbox", provider)

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = [pool.submit(sender.deliver, body) for body in deliveries]
            time.sleep(0.3)  # the burst is under way
            pg_ctl("restart")
            statuses = [answer.result(timeout=RETRY_FOR_SECONDS + 30) for answer in answers]
    finally:
        if not wait_until_ready(5):
            pg_ctl("start")
        assert wait_until_ready(), "PostgreSQL did not come back"

    assert statuses == [200] * len(deliveries)
    assert sender.failures > 0, "the restart did not hit the burst; nothing was tested"
    db.session().invalidate()  # this test's own connection died with the restart
    assert db.session.scalar(select(func.count(ProviderEvent.id))) == len(bodies)
    assert db.session.scalar(select(func.count(ProviderEvent.id)).where(
        ProviderEvent.processed_at.is_(None))) == 0
    completed = db.session.execute(select(Donation.public_id, Donation.status,
                                          Donation.receipt_number)).all()
    assert {row.public_id for row in completed} == set(started)
    assert {row.status for row in completed} == {"completed"}
    assert len({row.receipt_number for row in completed}) == DONATIONS  # each counted once
