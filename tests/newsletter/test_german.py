"""A German reader signs up in German, and the confirmation email speaks German too."""

import pytest

from tests.german import GERMAN, needs_catalogue
from tests.newsletter.conftest import JSON, READER

THANKS = "Thanks! Check your inbox to confirm your subscription."


@pytest.mark.parametrize("asks", [{"data": {"lang": "de"}}, {"headers": GERMAN}])
def test_a_german_sign_up_is_remembered_and_confirmed_in_german(newsletter, asks):
    newsletter.client.post("/newsletter", data={"email": READER, **asks.get("data", {})},
                           headers=asks.get("headers"))
    assert newsletter.subscriber().locale == "de"
    [email] = newsletter.emails()
    assert '<html lang="de">' in email.body_html


def test_a_sign_up_page_with_a_mistake_keeps_the_readers_language(client):
    page = client.post("/newsletter", data={"email": "not an address", "lang": "de"})
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert '<html lang="de">' in html and 'name="lang" value="de"' in html


def test_the_confirm_and_unsubscribe_pages_speak_the_readers_language(newsletter, client):
    newsletter.sign_up(lang="de")
    for path in (newsletter.link("confirm"), newsletter.link("unsubscribe")):
        assert '<html lang="de">' in client.get(path, headers=GERMAN).get_data(as_text=True)


def test_a_german_reader_is_thanked_and_asked_to_confirm_in_german(newsletter, client):
    needs_catalogue(THANKS)
    needs_catalogue("Please confirm your subscription to %(org)s")
    answer = client.post("/newsletter", data={"email": READER, "lang": "de"}, headers=JSON)
    assert answer.status_code == 202 and answer.get_json()["message"] != THANKS
    [email] = newsletter.emails()
    assert not email.subject.startswith("Please confirm")
    assert "If you did not sign up" not in email.body_text
    page = client.get(newsletter.link("confirm"), headers=GERMAN).get_data(as_text=True)
    assert "Confirm your subscription" not in page
