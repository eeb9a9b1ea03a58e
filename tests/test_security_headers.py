"""Every route family answers with the security headers; only the widget's pages may be framed,
and only by ALLOWED_EMBED_ORIGINS."""

import pytest

from config import ProductionConfig
from donate import create_app
from tests.conftest import widget_form

PUBLISHER = "https://news.example"
#: (method, path, framable?) per route family; {id} is a real donation's public id.
FAMILIES = [
    ("GET", "/widget", True),
    ("GET", "/widget?variant=quick", True),
    ("POST", "/donations", True),
    ("GET", "/donations/{id}/thanks", True),
    ("GET", "/donations/{id}/status", False),
    ("GET", "/embed.js", False),
    ("GET", "/demo", False),
    ("POST", "/newsletter", True),
    ("GET", "/newsletter/confirm/not-a-token", False),
    ("GET", "/newsletter/unsubscribe/not-a-token", False),
    ("POST", "/webhooks/sandbox", False),
    ("GET", "/sandbox/checkout/{id}", False),
    ("GET", "/paypal/return/{id}", False),
    ("GET", "/manage", False),
    ("GET", "/manage/link/not-a-token", False),
    ("GET", "/staff/login", False),
    ("GET", "/staff/", False),
    ("GET", "/healthz", False),
    ("GET", "/openapi.json", False),
    ("GET", "/dev/mailbox/", False),
    ("GET", "/static/site.css", False),
    ("GET", "/no-such-page", False),
    ("DELETE", "/widget", False),
]


@pytest.fixture
def app_overrides():
    return {"ALLOWED_EMBED_ORIGINS": [PUBLISHER]}


def answer(client, donations, method: str, path: str):
    if "{id}" in path:
        path = path.format(id=donations.start()["id"])
    data = widget_form({"amount": "5", "currency": "EUR", "frequency": "once",
                        "provider": "sandbox", "email": "r@example.org"}) if method == "POST" \
        else None
    return client.open(path, method=method, data=data)


@pytest.mark.parametrize(("method", "path", "framable"), FAMILIES)
def test_every_route_family_carries_the_security_headers(client, donations, method, path,
                                                        framable):
    headers = answer(client, donations, method, path).headers
    csp = headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in headers  # only in production (over https)
    if framable:
        assert f"frame-ancestors 'self' {PUBLISHER}" in csp
        assert "X-Frame-Options" not in headers
    else:
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Frame-Options"] == "DENY"


def test_a_framable_page_does_not_make_the_next_response_framable(client):
    client.get("/widget")
    assert "frame-ancestors 'none'" in client.get("/healthz").headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/widget", "/healthz", "/staff/login", "/manage",
                                  "/openapi.json", "/no-such-page"])
def test_production_adds_hsts_everywhere(database_url, path):
    app = create_app(ProductionConfig, SECRET_KEY="k" * 32, SQLALCHEMY_DATABASE_URI=database_url,
                     DONATE_SANDBOX=False, PUBLIC_URL="https://give.example",
                     ALLOWED_EMBED_ORIGINS=[PUBLISHER])
    headers = app.test_client().get(path, base_url="https://give.example").headers
    assert headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    assert headers["X-Content-Type-Options"] == "nosniff"
