"""Fixtures: the app on a real database (SQLite file, or PostgreSQL with TEST_DATABASE_URL).

The schema is built once per run by the real migrations; each test starts from empty tables.
"""

import json
import os
import threading
import time

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from config import TestConfig
from donate import create_app
from donate.abuse.form_token import issue_form_token
from donate.extensions import db
from donate.payments.registry import provider_named
from tests.browser.harness import CHROMIUM, chromium_missing
from tests.fakes.local_server import never_block_in_accept
from tests.fakes.smtp import SmtpSink

POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


def pytest_report_header(config) -> str:
    return chromium_missing() or f"browser tests: Chromium at {CHROMIUM}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        engine = create_engine(url)
        with engine.begin() as connection:  # a clean schema, so the migrations run whole
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
    return url


def make_app(database_url: str, **overrides):
    return create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, **overrides)


@pytest.fixture
def app_overrides() -> dict:
    """Settings a test module wants different; override this fixture to change them."""
    return {}


@pytest.fixture
def app(database_url, app_overrides):
    app = make_app(database_url, **app_overrides)
    with app.app_context():
        yield app
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on 127.0.0.1, threaded, for concurrency and browsers."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    never_block_in_accept(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()  # now, not whenever the collector gets to it


def widget_form(fields: dict, seconds_ago: float = 10) -> dict:
    """A plain form post of the widget, as a browser sends it: the fields plus the form token
    the widget rendered `seconds_ago` (needs the app context, whose SECRET_KEY signs it)."""
    return {**fields, "form_token": issue_form_token(time.time() - seconds_ago)}


class Donations:
    """Test helper: donate through the public API the way the widget does."""

    def __init__(self, client) -> None:
        self.client = client

    def start(self, amount="10", currency="EUR", frequency="once", provider="sandbox",
              **fields) -> dict:
        response = self.client.post("/donations", headers={"Accept": "application/json"},
                                    data={"amount": amount, "currency": currency,
                                          "frequency": frequency, "provider": provider,
                                          **fields})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def decide(self, donation_id: str, outcome: str):
        return self.client.post(f"/sandbox/checkout/{donation_id}", data={"outcome": outcome})

    def status(self, donation_id: str) -> dict:
        return self.client.get(f"/donations/{donation_id}/status").get_json()


@pytest.fixture
def donations(client) -> Donations:
    return Donations(client)


class SandboxWebhooks:
    """Test helper: signed sandbox deliveries to POST /webhooks/sandbox."""

    def __init__(self, client) -> None:
        self.client = client
        self.provider = provider_named("sandbox")

    def body_for(self, donation, outcome: str) -> bytes:
        return json.dumps(self.provider.outcome_event(donation, outcome)).encode()

    def signed(self, body: bytes, **sign_args) -> dict:
        return {**self.provider.sign(body, **sign_args), "Content-Type": "application/json"}

    def deliver(self, body: bytes, headers: dict | None = None):
        return self.client.post("/webhooks/sandbox", data=body,
                                headers=headers if headers is not None else self.signed(body))


@pytest.fixture
def sandbox_webhooks(client) -> SandboxWebhooks:
    return SandboxWebhooks(client)


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd); see smtp_settings() to point the app at it."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def smtp_settings(sink: SmtpSink) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink.port, "MAIL_TIMEOUT": 2}
