"""The honeypot: a field people never see; a bot that fills it is told 'yes' and nothing is kept."""

import re

import pytest

from tests.abuse.conftest import VALID, written
from tests.conftest import widget_form


@pytest.mark.parametrize("variant", ["slider", "quick"])
def test_the_widget_hides_the_honeypot_from_people_screen_readers_and_autofill(client, variant):
    html = client.get(f"/widget?variant={variant}").get_data(as_text=True)
    [wrapper] = re.findall(r'<div class="sr" aria-hidden="true">.*?</div>', html)
    [field] = re.findall(r"<input[^>]*name=\"website\"[^>]*>", wrapper)
    assert 'tabindex="-1"' in field and 'autocomplete="off"' in field and 'value=""' in field


def test_a_filled_honeypot_in_json_looks_like_success_and_writes_nothing(reader, caplog):
    caplog.set_level("WARNING", logger="donate.abuse")
    answer = reader.give(website="https://spam.example", email="bot@example.org")
    assert answer.status_code == 201
    assert set(answer.get_json()) == {"id", "status", "redirect_url"}
    assert written() == (0, 0, 0)
    assert "honeypot filled" in caplog.text and "spam.example" not in caplog.text


def test_a_filled_honeypot_in_a_form_post_redirects_like_success_and_writes_nothing(reader):
    answer = reader.post_form(widget_form({**VALID, "website": "x"}))
    assert answer.status_code == 303
    assert "/sandbox/checkout/" not in answer.headers["Location"]
    assert written() == (0, 0, 0)


@pytest.mark.parametrize("value", ["", "   ", None])
def test_an_empty_honeypot_changes_nothing(reader, value):
    assert reader.give(website=value).status_code == 201
    assert written()[0] == 1
