"""The widget form's signed time stamp: too fast, forged, missing or stale posts are refused."""

import re
import time

import pytest
from itsdangerous import URLSafeSerializer

from donate.abuse.form_token import EXPIRED, TOO_FAST, issue_form_token
from tests.abuse.conftest import VALID, written


@pytest.fixture
def app_overrides():
    return {"MIN_FORM_SECONDS": 2, "FORM_TOKEN_MAX_AGE": 3600}


def token_of(html: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


def test_a_form_sent_after_a_few_seconds_goes_to_checkout(reader):
    answer = reader.post_form({**VALID, "form_token": issue_form_token(time.time() - 3)})
    assert answer.status_code == 303
    assert "/sandbox/checkout/" in answer.headers["Location"]


@pytest.mark.parametrize(("token", "message"), [
    (None, EXPIRED),
    ("", EXPIRED),
    ("not-a-token", EXPIRED),
    ("forged", EXPIRED),
    ("too-old", EXPIRED),
    ("from-the-future", EXPIRED),
    ("just-now", TOO_FAST),
])
def test_a_bad_token_is_refused_with_a_message_and_nothing_written(reader, token, message):
    made = {"forged": URLSafeSerializer("another key", salt="donate.widget-form-token").dumps(
                round((time.time() - 5) * 1000)),
            "too-old": issue_form_token(time.time() - 3601),
            "from-the-future": issue_form_token(time.time() + 600),
            "just-now": issue_form_token()}
    form = {**VALID, "email": "reader@example.org"}
    if token is not None:
        form["form_token"] = made.get(token, token)
    answer = reader.post_form(form)
    assert answer.status_code == 400
    html = answer.get_data(as_text=True).replace("&#39;", "'")
    assert str(message) in html
    assert 'value="reader@example.org"' in html  # the reader's values come back
    assert token_of(html) != form.get("form_token")  # with a fresh token to send again
    assert written() == (0, 0, 0)


def test_the_token_the_widget_renders_is_refused_when_sent_at_once(client, reader):
    token = token_of(client.get("/widget").get_data(as_text=True))
    assert reader.post_form({**VALID, "form_token": token}).status_code == 400


def test_json_clients_need_no_token(reader):
    assert reader.give().status_code == 201


def test_a_form_post_that_asks_for_json_is_a_json_client(client):
    answer = client.post("/donations", data=VALID, headers={"Accept": "application/json"})
    assert answer.status_code == 201


def test_a_token_is_never_stamped_later_than_it_was_issued(app):
    """A stamp rounded up would lie in the future, and a form checked within that half
    millisecond would be refused as too fast even with no minimum time set."""
    with app.app_context():
        token = issue_form_token(issued_at=1_800_000_000.0006)
        stamped_ms = URLSafeSerializer(app.config["SECRET_KEY"],
                                       salt="donate.widget-form-token").loads(token)
    assert stamped_ms == 1_800_000_000_000
