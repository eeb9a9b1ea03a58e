"""Emails speak the donor's language, not the language of the request that causes them."""

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from donate.extensions import db
from donate.ledger import service as ledger
from donate.ledger.events import LedgerEvent
from donate.ledger.models import Donation
from donate.ledger.states import Action
from donate.money import Money
from donate.newsletter.models import Subscriber
from tests.conftest import smtp_settings
from tests.german import ENGLISH_DAY, GERMAN, GERMAN_DAY, euros, needs_catalogue
from tests.outbox.test_notices import YEAR, deliver, paid, sent_mail


@pytest.fixture
def app_overrides(smtp):
    return {**smtp_settings(smtp), "PUBLIC_URL": "https://give.example"}


def parts(mail) -> tuple[str, str]:
    return mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()


def pay_in(client, started: dict, headers: dict) -> None:
    """The sandbox's "pay" button, pressed in a browser that speaks `headers`' language."""
    client.post(f"/sandbox/checkout/{started['id']}", data={"outcome": "pay"}, headers=headers)


def test_a_german_donation_gets_a_german_receipt_though_the_payment_came_in_english(
        donations, smtp):
    donation = paid(donations, amount="10", email="ada@example.org", lang="de")
    [mail] = sent_mail(smtp)
    assert donation.locale == "de"
    assert mail["Subject"].endswith(euros("10,00"))
    text, html = parts(mail)
    for part in (text, html):
        assert euros("10,00") in part and GERMAN_DAY.search(part)
    assert '<html lang="de">' in html


def test_an_english_donation_gets_an_english_receipt_though_the_payment_came_in_german(
        donations, client, smtp):
    started = donations.start(amount="10", email="ada@example.org")
    pay_in(client, started, GERMAN)
    [mail] = sent_mail(smtp)
    assert mail["Subject"] == f"Receipt {YEAR}-000001: your donation of €10.00"
    text, html = parts(mail)
    assert "€10.00" in text and ENGLISH_DAY.search(text) and '<html lang="en">' in html


def test_a_refund_to_a_german_donor_is_written_in_german(donations, smtp):
    donation = paid(donations, amount="10", email="ada@example.org", lang="de")
    deliver(donation, Action.REFUNDED, "evt_r", amount=Money(300, "EUR"))  # outside a request
    refund = sent_mail(smtp)[-1]
    assert refund["Subject"].endswith(euros("3,00"))
    assert euros("10,00") in parts(refund)[0]


def test_a_german_monthly_donor_hears_in_german_that_a_payment_failed(donations, smtp):
    donation = paid(donations, amount="5", frequency="monthly", email="m@example.org",
                    lang="de")
    row, _ = ledger.record_provider_event("sandbox", "evt_fail", "test", "{}")
    ledger.apply_provider_event(row.id, lambda _row: [LedgerEvent(
        Action.INSTALLMENT_FAILED, datetime.now(), pledge_ref=donation.pledge.public_id)])
    text, html = parts(sent_mail(smtp)[-1])
    assert euros("5,00") in text and '<html lang="de">' in html


def test_the_newsletter_box_ticked_in_german_is_confirmed_in_german(donations, client, smtp):
    started = donations.start(email="ada@example.org", newsletter="1", lang="de")
    pay_in(client, started, {"Accept-Language": "en"})
    db.session.rollback()
    assert db.session.scalar(select(Subscriber.locale)) == "de"
    [confirmation] = [mail for mail in sent_mail(smtp) if "/newsletter/confirm/" in parts(mail)[0]]
    assert '<html lang="de">' in parts(confirmation)[1]


def test_a_german_donors_annual_summary_writes_days_and_amounts_in_german(
        donations, smtp, runner):
    paid(donations, amount="10", email="ada@example.org", name="Ada", lang="de")
    runner.invoke(args=["receipts", "annual", "--year", str(YEAR)])
    text, html = parts(sent_mail(smtp)[-1])
    assert GERMAN_DAY.search(text) and f"{YEAR}: {euros('10,00')}" in text
    assert '<html lang="de">' in html


def test_the_manage_link_speaks_the_language_of_the_page_that_asked_for_it(
        donations, client, smtp):
    paid(donations, email="ada@example.org")  # gave in English
    page = client.get("/manage", headers=GERMAN).get_data(as_text=True)
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    client.post("/manage", data={"email": "ada@example.org", "csrf_token": csrf_token},
                headers=GERMAN)
    assert '<html lang="de">' in parts(sent_mail(smtp)[-1])[1]


def test_a_german_receipt_and_the_newsletter_wording_are_in_german_words(
        donations, client, smtp):
    needs_catalogue("Receipt %(number)s: your donation of %(amount)s")
    needs_catalogue("Send me the newsletter. I can unsubscribe at any time.")
    started = donations.start(email="ada@example.org", newsletter="1", lang="de")
    pay_in(client, started, {"Accept-Language": "en"})
    receipt = next(mail for mail in sent_mail(smtp) if f"{YEAR}-000001" in mail["Subject"])
    assert not receipt["Subject"].startswith("Receipt")
    text = parts(receipt)[0]
    assert "thank you for supporting" not in text and "Receipt number" not in text
    db.session.rollback()
    assert db.session.scalar(select(Subscriber.consent_text)) != (
        "Send me the newsletter. I can unsubscribe at any time.")
    assert db.session.scalar(select(Donation.locale)) == "de"
