"""GET /widget from the fast lane (donate/widget/fast_lane.py): after one recording the answer
comes from a template, and must be the answer the app itself gives, holes filled afresh."""

import gzip
import logging
import re
import time

import pytest
from itsdangerous import URLSafeSerializer
from markupsafe import escape

from donate.abuse.form_token import SALT, form_token_problem
from donate.widget import fast_lane
from donate.widget.fast_lane import WidgetFastLane

NONCE = re.compile(r"(?<=nonce-)[\w-]+|(?<=nonce=\")[\w-]+")
TOKEN = re.compile(r'(?<=name="form_token" value=")[^"]+')


@pytest.fixture
def lane(app) -> WidgetFastLane:
    assert isinstance(app.wsgi_app, WidgetFastLane)
    return app.wsgi_app


@pytest.fixture
def flask_client(app):
    """A client with a cookie: its requests go through Flask's whole pipeline, not the lane."""
    client = app.test_client()
    client.set_cookie("unrelated", "1")
    return client


def served_by_lane(caplog, ask) -> bool:
    """Whether `ask()` was answered by the lane (its log line) rather than by Flask."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="donate.request"):
        response = ask()
    lines = [record for record in caplog.records if record.name == "donate.request"]
    assert len(lines) == 1, "exactly one request line, from the lane or from the app"
    assert lines[0].request_id == response.headers["X-Request-Id"]
    return getattr(lines[0], "lane", None) == "fast"


def holes_blanked(text: str) -> str:
    return TOKEN.sub("TOKEN", NONCE.sub("NONCE", text))


def comparable(response) -> tuple[str, dict]:
    headers = {name: value for name, value in response.headers
               if name not in ("X-Request-Id", "Content-Length")}
    return holes_blanked(response.get_data(as_text=True)), {
        name: holes_blanked(value) for name, value in headers.items()}


@pytest.mark.parametrize("query", ["", "?variant=quick", "?variant=newsletter&lang=de",
                                   "?currency=EUR&source=https%3A%2F%2Fnews.example%2Fa"])
def test_the_lane_answers_what_the_app_answers(client, flask_client, caplog, query):
    assert not served_by_lane(caplog, lambda: client.get(f"/widget{query}"))  # the recording
    from_lane = client.get(f"/widget{query}")
    from_app = flask_client.get(f"/widget{query}")
    assert from_lane.status_code == from_app.status_code == 200
    assert comparable(from_lane) == comparable(from_app)
    assert served_by_lane(caplog, lambda: client.get(f"/widget{query}"))
    assert not served_by_lane(caplog, lambda: flask_client.get(f"/widget{query}"))


def test_every_lane_answer_has_its_own_nonce_token_and_request_id(client, app):
    client.get("/widget")
    seen = set()
    for source in ("https://news.example/a?x=1&y=\"<b>'", "https://news.example/b", ""):
        time.sleep(0.002)  # so that a token kept from an earlier answer would be stamped too early
        asked_ms = int(time.time() * 1000)
        response = client.get("/widget", query_string={"source": source})
        answered_ms = int(time.time() * 1000) + 1
        page = response.get_data(as_text=True)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])[1]
        assert f'<style nonce="{nonce}">' in page
        assert f'name="source" value="{escape(source)}"' in page
        token = TOKEN.search(page)[0]
        assert form_token_problem(token) is None
        # A token is a signed millisecond stamp, so two answers in the same millisecond rightly
        # share one; what the lane must do is stamp each answer's token during that answer.
        stamped_ms = URLSafeSerializer(app.config["SECRET_KEY"], salt=SALT).loads(token)
        assert asked_ms <= stamped_ms <= answered_ms
        assert "\x1e" not in page and "\x1e" not in str(response.headers)
        assert int(response.headers["Content-Length"]) == len(response.data)
        seen.add((nonce, response.headers["X-Request-Id"]))
    assert len({part for answer in seen for part in answer}) == 6


def test_a_request_id_from_the_load_balancer_is_kept(client):
    client.get("/widget")
    assert client.get("/widget", headers={"X-Request-Id": "lb-42"}).headers["X-Request-Id"] == \
        "lb-42"


def test_gzip_from_the_lane_is_the_same_page(client):
    long_source = "https://news.example/" + "a" * 70_000  # holes over 64 KiB take two blocks
    for source in ("https://news.example/story", long_source):
        client.get("/widget")
        zipped = client.get("/widget", query_string={"source": source},
                            headers={"Accept-Encoding": "gzip, deflate, br"})
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in zipped.headers["Vary"]
        assert int(zipped.headers["Content-Length"]) == len(zipped.data)
        page = gzip.decompress(zipped.data).decode()
        plain = client.get("/widget", query_string={"source": source}).get_data(as_text=True)
        assert holes_blanked(page) == holes_blanked(plain)
        nonce = re.search(r"'nonce-([^']+)'", zipped.headers["Content-Security-Policy"])[1]
        assert f'<style nonce="{nonce}">' in page
        assert len(zipped.data) < len(plain) / 2 or source == long_source
    refused = client.get("/widget", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers


def test_each_language_gets_its_own_recording(client):
    german = client.get("/widget", headers={"Accept-Language": "de-DE,de;q=0.9"})
    english = client.get("/widget", headers={"Accept-Language": "en-US,en;q=0.9"})
    for _ in range(2):
        assert client.get("/widget", headers={"Accept-Language": "de-DE,de;q=0.9"}).data \
            .startswith(german.data[:40])
        assert b'lang="de"' in client.get("/widget?lang=de").data
        assert b'lang="en"' in client.get("/widget", headers={
            "Accept-Language": "en-US,en;q=0.9"}).data
    assert b'lang="de"' in german.data and b'lang="en"' in english.data


@pytest.mark.parametrize("query", ["?variant=carousel", "?variant=quick&variant=slider",
                                   "?utm_source=x", "?currency=%FF"])
def test_requests_the_lane_does_not_know_go_through_flask_and_are_not_kept(
        client, lane, caplog, query):
    for _ in range(2):
        assert not served_by_lane(caplog, lambda: client.get(f"/widget{query}"))
    assert lane.templates == {}


def test_answers_with_a_reader_s_errors_or_a_post_are_never_recorded(client, lane):
    client.post("/widget")
    client.head("/widget")
    assert lane.templates == {}


def test_a_flood_of_made_up_languages_keeps_the_newest_recordings(client, lane, monkeypatch):
    monkeypatch.setattr(fast_lane, "MAX_TEMPLATES", 3)
    for n in range(5):
        client.get("/widget", headers={"Accept-Language": f"x-made-up-{n}"})
    assert len(lane.templates) == 3
    assert [key[2] for key in lane.templates] == [f"x-made-up-{n}" for n in (2, 3, 4)]


def test_in_debug_mode_an_edited_template_shows_at_once(app, client, lane):
    app.debug = True
    client.get("/widget")
    client.get("/widget")
    assert lane.templates == {}
