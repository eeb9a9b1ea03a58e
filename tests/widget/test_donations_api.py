"""POST /donations: the contract, every bad input, and nothing written when refused."""

import pytest
from sqlalchemy import func, select

from donate.extensions import db
from donate.ledger.models import Donation, Donor, Pledge
from tests.conftest import widget_form

JSON = {"Accept": "application/json"}
VALID = {"amount": "25", "currency": "USD", "frequency": "once", "provider": "sandbox"}


def rows() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count(model.id)))
                 for model in (Donation, Pledge, Donor))


def post_json(client, body, **headers):
    return client.post("/donations", json=body, headers={**JSON, **headers})


def test_a_json_request_answers_201_with_the_checkout(client):
    response = post_json(client, VALID)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "status", "redirect_url"}
    assert body["status"] == "pending"
    assert body["redirect_url"].endswith(f"/sandbox/checkout/{body['id']}")
    assert len(body["id"]) >= 22  # 128 random bits


def test_a_form_post_answers_303_to_the_checkout(client):
    response = client.post("/donations", data=widget_form(VALID))
    assert response.status_code == 303
    assert "/sandbox/checkout/" in response.headers["Location"]


def test_donating_needs_no_cookie_at_all(app, client):
    client.delete_cookie("session")
    response = client.post("/donations", data=widget_form(VALID))
    assert response.status_code == 303
    assert "Set-Cookie" not in response.headers


def test_the_donation_is_stored_with_every_field(client):
    body = post_json(client, {**VALID, "amount": "10.50", "currency": "EUR", "email": "A@B.org",
                              "name": "Ada Lovelace", "cover_fees": "1", "newsletter": "yes",
                              "source": "https://news.example/story"}).get_json()
    donation = db.session.scalar(select(Donation).where(Donation.public_id == body["id"]))
    assert (donation.amount_minor, donation.currency) == (1050, "EUR")
    assert donation.fee_minor == 41  # 1.5 % + 0.25 on the grossed-up total
    assert donation.charged_minor == 1091
    assert (donation.donor.email, donation.donor.name) == ("a@b.org", "Ada Lovelace")
    assert donation.newsletter_opt_in
    assert donation.source == "https://news.example/story"


def test_a_monthly_donation_starts_a_pending_pledge(client):
    body = post_json(client, {**VALID, "frequency": "monthly"}).get_json()
    donation = db.session.scalar(select(Donation).where(Donation.public_id == body["id"]))
    assert (donation.kind, donation.pledge.status, donation.pledge.amount_minor) == (
        "installment", "pending", 2500)


BAD_INPUTS = [
    ({"amount": None}, "amount", "Enter an amount"),
    ({"amount": ""}, "amount", "Enter an amount"),
    ({"amount": "-5"}, "amount", "without signs"),
    ({"amount": "abc"}, "amount", "without signs"),
    ({"amount": "1e5"}, "amount", "without signs"),
    ({"amount": "NaN"}, "amount", "without signs"),
    ({"amount": "0.50"}, "amount", "smallest donation is $1.00"),
    ({"amount": "10000.01"}, "amount", "largest donation"),
    ({"amount": "9" * 5000}, "amount", "without signs"),
    ({"amount": "10.001"}, "amount", "at most 2 decimals"),
    ({"amount": 25}, "amount", "Must be text"),
    ({"amount": 25.5}, "amount", "numbers lose precision"),
    ({"amount": ["25"]}, "amount", "Must be text"),
    ({"currency": "GBP"}, "currency", "Choose one of USD, EUR"),
    ({"currency": None}, "currency", "Choose one of"),
    ({"currency": 1}, "currency", "Must be text"),
    ({"frequency": "weekly"}, "frequency", "once or monthly"),
    ({"frequency": None}, "frequency", "once or monthly"),
    ({"provider": "bitcoin"}, "provider", "Choose a payment method"),
    ({"provider": "stripe"}, "provider", "Choose a payment method"),  # no keys, not offered
    ({"email": "not-an-email"}, "email", "Enter an email address"),
    ({"email": "a@b.org\r\nBcc: x@y.org"}, "email", "Enter an email address"),
    ({"email": "a" * 250 + "@b.org"}, "email", "at most 254"),
    ({"name": "x" * 201}, "name", "at most 200"),
    ({"name": "Eve\r\nBcc: x@y.org"}, "name", "control characters"),
    ({"cover_fees": "maybe"}, "cover_fees", "yes or no"),
    ({"newsletter": "1"}, "email", "email to get the newsletter"),
    ({"source": 7}, "source", "Must be text"),
]


@pytest.mark.parametrize("source", ["javascript:alert(1)", "file:///etc/passwd", "news",
                                    "https://x.example/" + "a" * 2048])
def test_a_bad_source_is_dropped_rather_than_refusing_the_reader(client, source):
    body = post_json(client, {**VALID, "source": source}).get_json()
    donation = db.session.scalar(select(Donation).where(Donation.public_id == body["id"]))
    assert donation.source is None


@pytest.mark.parametrize(("change", "field", "message"), BAD_INPUTS)
def test_bad_json_input_is_refused_with_422_naming_the_field(client, change, field, message):
    body = {**VALID, **change}
    body = {key: value for key, value in body.items() if value is not None}
    response = post_json(client, body)
    assert response.status_code == 422
    assert message in response.get_json()["errors"][field]
    assert rows() == (0, 0, 0)


@pytest.mark.parametrize(("change", "field", "message"),
                         [row for row in BAD_INPUTS if all(isinstance(v, str | None)
                                                           for v in row[0].values())])
def test_bad_form_input_is_refused_with_400_naming_the_field(client, change, field, message):
    form = {key: value for key, value in {**VALID, **change}.items() if value is not None}
    response = client.post("/donations", data=widget_form(form))
    assert response.status_code == 400
    assert message.encode() in response.data.replace(b"&#39;", b"'").replace(b"&amp;", b"&")
    assert rows() == (0, 0, 0)


def test_several_bad_fields_are_all_named_at_once(client):
    response = post_json(client, {"amount": "x", "currency": "USD"})
    assert set(response.get_json()["errors"]) == {"amount", "frequency", "provider"}


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"{not json", b"null"])
def test_a_json_body_that_is_not_an_object_is_refused(client, body):
    response = client.post("/donations", data=body, content_type="application/json",
                           headers=JSON)
    assert response.status_code == 422
    assert "JSON object" in response.get_json()["errors"]["body"]
    assert rows() == (0, 0, 0)


def test_an_oversized_body_is_refused_with_413(client):
    response = client.post("/donations", data={**VALID, "name": "x" * 20_000}, headers=JSON)
    assert response.status_code == 413
    assert "too large" in response.get_json()["error"]
    assert rows() == (0, 0, 0)


def test_an_idempotency_key_makes_a_retry_return_the_first_answer(client):
    first = post_json(client, VALID, **{"Idempotency-Key": "attempt-1"})
    again = post_json(client, VALID, **{"Idempotency-Key": "attempt-1"})
    assert (again.status_code, again.get_json()) == (first.status_code, first.get_json())
    assert rows()[0] == 1


def test_a_double_clicked_form_with_one_key_makes_one_donation(client):
    form = widget_form(VALID)
    answers = {client.post("/donations", data=form, headers={"Idempotency-Key": "k"}
                           ).headers["Location"] for _ in range(3)}
    assert len(answers) == 1
    assert rows()[0] == 1


def test_an_idempotency_key_reused_with_other_fields_is_refused(client):
    post_json(client, VALID, **{"Idempotency-Key": "attempt-1"})
    response = post_json(client, {**VALID, "amount": "30"}, **{"Idempotency-Key": "attempt-1"})
    assert response.status_code == 422
    assert "different donation" in response.get_json()["errors"]["Idempotency-Key"]
    assert rows()[0] == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "ünïcode"])
def test_a_malformed_idempotency_key_is_refused(client, key):
    response = client.post("/donations", data=VALID,
                           headers={**JSON, "Idempotency-Key": key.encode().decode("latin-1")})
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["errors"]


def test_the_status_endpoint_reports_the_ledger_state(client, donations):
    started = donations.start(amount="12.34", currency="USD")
    status = donations.status(started["id"])
    assert status == {"id": started["id"], "status": "pending", "amount": 1234, "fee": 0,
                      "charged": 1234, "currency": "USD", "frequency": "once",
                      "charged_display": "$12.34"}


def test_an_unknown_donation_id_is_a_404(client):
    response = client.get("/donations/not-a-real-id/status", headers=JSON)
    assert response.status_code == 404
    assert response.get_json() == {"error": "There is nothing here."}
