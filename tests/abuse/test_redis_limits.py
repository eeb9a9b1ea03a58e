"""With RATELIMIT_STORAGE_URI on Redis, several app instances count against one limit."""

import secrets

import pytest
import redis

from donate.extensions import db
from tests.abuse.conftest import JSON, VALID
from tests.conftest import make_app

REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_missing() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        return f"no Redis at {REDIS_URL} ({error})"
    return None


@pytest.fixture
def instances(app, database_url):
    """Two instances of the app, as two gunicorn hosts would run it, sharing Redis."""
    reason = redis_missing()
    if reason:
        pytest.skip(reason)
    settings = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": REDIS_URL,
                "RATELIMIT_KEY_PREFIX": f"test-{secrets.token_hex(4)}",  # this run's keys only
                "DONATION_RATE_LIMIT": "3/minute"}
    apps = [make_app(database_url, **settings) for _ in range(2)]
    yield [instance.test_client() for instance in apps]
    for instance in apps:
        with instance.app_context():
            db.engine.dispose()
    prefix = settings["RATELIMIT_KEY_PREFIX"]
    store = redis.Redis.from_url(REDIS_URL)
    for key in store.scan_iter(f"*{prefix}*"):
        store.delete(key)


def test_two_instances_share_one_limit_through_redis(instances):
    first, second = instances
    answers = [(first, second)[n % 2].post("/donations", json=VALID, headers=JSON,
                                           environ_base={"REMOTE_ADDR": "192.0.2.44"})
               for n in range(4)]
    assert [answer.status_code for answer in answers] == [201, 201, 201, 429]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
