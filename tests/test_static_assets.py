"""Static files: content-hashed URLs cached for a year, gzip for text unless it holds a secret."""

import gzip
import re

import pytest
from flask import render_template_string

from donate.static_assets import ONE_YEAR, static_url

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_a_static_url_carries_the_hash_of_the_files_content(app):
    with app.test_request_context():
        url = static_url("widget.js")
    assert re.fullmatch(r"/static/widget\.js\?v=[0-9a-f]{12}", url)


def test_pages_link_their_script_and_stylesheet_by_hash(client):
    widget = client.get("/widget").get_data(as_text=True)
    article = client.get("/demo").get_data(as_text=True)
    assert re.search(r'src="/static/widget\.js\?v=[0-9a-f]{12}"', widget)
    assert re.search(r'href="/static/site\.css\?v=[0-9a-f]{12}"', article)


def test_a_file_asked_for_by_its_current_hash_is_cached_for_a_year(app, client):
    with app.test_request_context():
        url = static_url("widget.js")
    response = client.get(url)
    cache = response.cache_control
    assert cache.public and cache.immutable and cache.max_age == ONE_YEAR
    assert "Expires" not in response.headers


@pytest.mark.parametrize("query", ["", "?v=000000000000"])
def test_a_file_asked_for_without_its_current_hash_is_not_cached_for_long(client, query):
    cache = client.get(f"/static/widget.js{query}").cache_control
    assert not cache.immutable and cache.max_age is None


def test_the_embed_script_keeps_a_short_cache_because_publishers_link_it_unversioned(client):
    response = client.get("/embed.js", headers=GZIP)
    assert response.cache_control.max_age == 300 and not response.cache_control.immutable
    assert response.headers["Content-Encoding"] == "gzip"


@pytest.mark.parametrize("path", ["/widget", "/static/widget.js", "/static/site.css", "/demo"])
def test_text_is_gzipped_for_a_client_that_accepts_it(client, path):
    plain = client.get(path).get_data()
    response = client.get(path, headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.vary
    assert int(response.headers["Content-Length"]) == len(response.get_data()) < len(plain)
    assert len(gzip.decompress(response.get_data())) == len(plain)


def test_nothing_is_gzipped_for_a_client_that_does_not_accept_it(client):
    response = client.get("/widget", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in response.headers
    assert "Accept-Encoding" in response.vary


def test_small_bodies_are_sent_as_they_are(client):
    response = client.get("/healthz", headers=GZIP)
    assert "Content-Encoding" not in response.headers


def test_a_page_that_may_hold_a_session_secret_is_not_gzipped(app, client):
    """BREACH: a compressed page that holds a session's CSRF token leaks it through its size."""

    @app.get("/_with_token")
    def with_token():
        return render_template_string("<p>{{ csrf_token() }}</p>" + "<p>text</p>" * 100)

    starts_a_session = client.get("/_with_token", headers=GZIP)
    has_a_session = client.get("/_with_token", headers=GZIP)
    assert "session=" in starts_a_session.headers["Set-Cookie"]
    for response in (starts_a_session, has_a_session):
        assert response.status_code == 200
        assert "Content-Encoding" not in response.headers
    assert client.get("/static/widget.js", headers=GZIP).headers["Content-Encoding"] == "gzip"


def test_a_compressed_file_gets_its_own_etag(client):
    plain = client.get("/static/widget.js").get_etag()
    compressed = client.get("/static/widget.js", headers=GZIP).get_etag()
    assert plain[0] and compressed[0] != plain[0]


@pytest.mark.parametrize("path", ["/static/widget.js", "/embed.js", "/widget", "/healthz"])
def test_what_no_cookie_changes_does_not_say_it_varies_by_cookie(client, path):
    """Shared caches and CDNs keep one copy of these, not one per reader's cookie."""
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "cookie" not in response.headers.get("Vary", "").lower()


def test_pages_that_read_the_session_still_vary_by_cookie(client):
    assert "Cookie" in client.get("/staff/login").headers["Vary"]
