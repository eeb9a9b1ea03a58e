"""POST /newsletter: one answer for every known address, bad input refused, abuse limited."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import POSTGRES
from tests.newsletter.conftest import JSON, READER, counts

THANKS = "Thanks! Check your inbox to confirm your subscription."


def every_kind_of_address(newsletter) -> list[str]:
    newsletter.sign_up("pending@example.org")
    newsletter.confirmed("confirmed@example.org")
    newsletter.unsubscribed("unsubscribed@example.org")
    return ["new@example.org", "pending@example.org", "confirmed@example.org",
            "unsubscribed@example.org"]


@pytest.mark.parametrize("headers", [{}, JSON], ids=["form", "json"])
def test_the_answer_is_the_same_whatever_we_know_of_the_address(client, newsletter, headers):
    addresses = every_kind_of_address(newsletter)
    answers = {(response.status_code, response.get_data(as_text=True))
               for response in (client.post("/newsletter", data={"email": address},
                                            headers=headers) for address in addresses)}
    [(status, body)] = answers
    assert status == 202 and THANKS in body


def test_a_json_sign_up_answers_with_the_message(client):
    response = client.post("/newsletter", json={"email": READER}, headers=JSON)
    assert (response.status_code, response.get_json()) == (202, {"message": THANKS})
    assert counts() == (1, 1)


def test_signing_up_needs_no_cookie_and_sets_none(client):
    response = client.post("/newsletter", data={"email": READER})
    assert response.status_code == 202
    assert "Set-Cookie" not in response.headers


BAD_EMAILS = [
    (None, "Enter your email address"),
    ("", "Enter your email address"),
    ("   ", "Enter your email address"),
    ("not-an-email", "Enter an email address such as"),
    ("a@b.org\r\nBcc: x@y.org", "Enter an email address such as"),
    ("a" * 250 + "@b.org", "at most 254"),
]


@pytest.mark.parametrize(("email", "message"), BAD_EMAILS + [
    (42, "Enter your email address"), (["a@b.org"], "Enter your email address")])
def test_a_bad_json_email_is_refused_with_422_and_nothing_written(client, email, message):
    body = {} if email is None else {"email": email}
    response = client.post("/newsletter", json=body, headers=JSON)
    assert response.status_code == 422
    assert message in response.get_json()["errors"]["email"]
    assert counts() == (0, 0)


@pytest.mark.parametrize(("email", "message"), BAD_EMAILS)
def test_a_bad_form_email_is_refused_with_400_naming_the_field(client, email, message):
    form = {} if email is None else {"email": email}
    response = client.post("/newsletter", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Email:" in page and message in page.replace("&#39;", "'")
    assert counts() == (0, 0)


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"{not json", b"null"])
def test_a_json_body_that_is_not_an_object_is_refused(client, body):
    response = client.post("/newsletter", data=body, content_type="application/json",
                           headers=JSON)
    assert response.status_code == 422
    assert "email" in response.get_json()["errors"]
    assert counts() == (0, 0)


def test_an_oversized_body_is_refused_with_413(client):
    response = client.post("/newsletter", data={"email": READER, "source": "x" * 20_000},
                           headers=JSON)
    assert response.status_code == 413
    assert counts() == (0, 0)


@pytest.mark.parametrize("app_overrides", [{"RATELIMIT_ENABLED": True,
                                             "NEWSLETTER_RATE_LIMIT": "2/minute"}])
def test_sign_ups_are_rate_limited_per_address(client):
    answers = [client.post("/newsletter", data={"email": f"r{n}@example.org"}, headers=JSON)
               for n in range(3)]
    assert [answer.status_code for answer in answers] == [202, 202, 429]
    assert "wait a minute" in answers[-1].get_json()["error"]
    assert counts() == (2, 2)


@pytest.mark.skipif(not POSTGRES, reason="concurrent writers need PostgreSQL "
                                         "(set TEST_DATABASE_URL)")
def test_on_postgres_concurrent_sign_ups_of_one_address_make_one_row_and_one_email(
        live_server, app):
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: requests.post(
            f"{live_server}/newsletter", data={"email": READER}, timeout=30).status_code,
            range(10)))
    assert answers == [202] * 10
    assert counts() == (1, 1)
