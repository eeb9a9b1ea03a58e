"""The app as a whole: configuration, health, security headers, rate limits, logs."""

import json
import logging

import pytest

from config import ProductionConfig, TestConfig
from donate import create_app
from tests.conftest import make_app, widget_form


def test_production_refuses_to_start_without_its_secrets():
    with pytest.raises(RuntimeError) as refused:
        create_app(ProductionConfig, SECRET_KEY=None, SQLALCHEMY_DATABASE_URI=None,
                   PUBLIC_URL="", DONATE_SANDBOX=False)
    assert "SECRET_KEY must be set" in str(refused.value)
    assert "DATABASE_URL must be set" in str(refused.value)
    assert "PUBLIC_URL must be set" in str(refused.value)


def test_production_refuses_to_start_with_the_sandbox_on():
    with pytest.raises(RuntimeError, match="DONATE_SANDBOX must be off"):
        create_app(ProductionConfig, SECRET_KEY="k", SQLALCHEMY_DATABASE_URI="sqlite://",
                   DONATE_SANDBOX=True)


def test_production_starts_when_configured(database_url):
    app = create_app(ProductionConfig, SECRET_KEY="k" * 32, SQLALCHEMY_DATABASE_URI=database_url,
                     DONATE_SANDBOX=False, PUBLIC_URL="https://give.example")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_development_generates_and_keeps_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.setattr("donate.PROJECT_ROOT", tmp_path)
    first = create_app(TestConfig, SECRET_KEY=None).config["SECRET_KEY"]
    second = create_app(TestConfig, SECRET_KEY=None).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("CURRENCIES", ["USD", "XYZ"], "CURRENCIES"),
    ("PRESETS", ["5", "500"], "PRESETS"),
    ("QUICK_CURRENCY", "GBP", "QUICK_CURRENCY"),
    ("DONATION_FEES", "stripe:USD=2.9", "DONATION_FEES"),
])
def test_a_bad_widget_setting_stops_the_app_with_its_name(setting, value, message):
    with pytest.raises(ValueError, match=message):
        create_app(TestConfig, **{setting: value})


def test_health_is_ok_while_the_database_answers(client):
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()["status"]) == (200, "ok")


def test_health_is_503_when_the_database_is_unreachable():
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/x")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_only_the_widget_may_be_framed_and_only_by_configured_origins(database_url):
    app = make_app(database_url, ALLOWED_EMBED_ORIGINS=["https://news.example"])
    client = app.test_client()
    widget = client.get("/widget").headers
    assert "frame-ancestors 'self' https://news.example" in widget["Content-Security-Policy"]
    assert "X-Frame-Options" not in widget
    other = client.get("/healthz").headers
    assert "frame-ancestors 'none'" in other["Content-Security-Policy"]
    assert other["X-Frame-Options"] == "DENY"


def test_every_response_carries_the_security_headers(client):
    headers = client.get("/widget").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.fixture
def app_overrides(request):
    limited = request.node.get_closest_marker("limited")
    return {"RATELIMIT_ENABLED": True, "DONATION_RATE_LIMIT": "3/minute"} if limited else {}


@pytest.fixture
def limited_client(client):
    return client


@pytest.mark.limited
def test_checkout_creation_is_rate_limited_per_address(limited_client):
    form = {"amount": "5", "currency": "USD", "frequency": "once", "provider": "sandbox"}
    answers = [limited_client.post("/donations", data=form, headers={"Accept":
                                   "application/json"}) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [201, 201, 201, 429]
    assert "wait a minute" in answers[-1].get_json()["error"]
    assert int(answers[-1].headers["Retry-After"]) > 0


def test_requests_are_logged_as_json_lines_without_tokens_or_bodies(client, caplog):
    caplog.set_level("INFO", logger="donate")
    client.post("/donations", data=widget_form({
        "amount": "5", "currency": "USD", "frequency": "once", "provider": "sandbox",
        "email": "secret@reader.example"}))
    [handler] = logging.getLogger("donate").handlers
    lines = [json.loads(handler.format(record)) for record in caplog.records]
    request_line = next(line for line in lines if line["message"] == "request")
    assert request_line["route"] == "/donations"
    assert request_line["status"] == 303
    assert "duration_ms" in request_line and "request_id" in request_line
    assert not any("secret@reader.example" in json.dumps(line) for line in lines)
