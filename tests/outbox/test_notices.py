"""Receipts and notices: caused by the ledger, written with it, delivered over real SMTP."""

import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from donate.extensions import db
from donate.ledger import service as ledger
from donate.ledger.events import LedgerEvent
from donate.ledger.models import Donation
from donate.ledger.states import Action
from donate.money import Money
from donate.outbox import worker
from donate.outbox.models import OutboxMessage
from tests.conftest import smtp_settings

YEAR = datetime.now().year


@pytest.fixture
def app_overrides(smtp):
    return {**smtp_settings(smtp), "ORG_NAME": "The Harbour Herald",
            "ORG_ADDRESS": "5 Quay Street, Portsmouth", "PUBLIC_URL": "https://give.example"}


def paid(donations, **fields) -> Donation:
    started = donations.start(**fields)
    donations.decide(started["id"], "pay")
    db.session.rollback()  # a fresh snapshot: other connections wrote
    return db.session.scalar(select(Donation).where(Donation.public_id == started["id"]))


def sent_mail(smtp):
    worker.work(once=True)
    return smtp.messages


def deliver(donation: Donation, action: Action, event_id: str, **fields) -> None:
    row, _ = ledger.record_provider_event("sandbox", event_id, "test", "{}")
    ledger.apply_provider_event(row.id, lambda _row: [LedgerEvent(
        action, datetime.now(), donation_ref=donation.public_id, **fields)])


def test_a_completed_donation_gets_a_receipt_with_everything_a_donor_needs(donations, smtp):
    donation = paid(donations, amount="10", currency="EUR", email="ada@example.org",
                    name="Ada Lovelace", cover_fees="1")
    [mail] = sent_mail(smtp)
    assert mail["To"] == "ada@example.org"
    assert mail["Subject"] == f"Receipt {YEAR}-000001: your donation of €10.41"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Ada Lovelace" in part
        assert f"{YEAR}-000001" in part
        assert "€10.41" in part and "€10.00" in part and "€0.41" in part
        assert "The Harbour Herald" in part and "5 Quay Street, Portsmouth" in part
        assert "No goods or services were provided" in part
        assert "Sandbox" in part
        assert "https://give.example/manage" in part
    assert donation.receipt_number == f"{YEAR}-000001"


def test_receipt_numbers_are_sequential_and_never_reused(donations, smtp):
    first = paid(donations, email="a@example.org")
    declined = donations.start(email="b@example.org")
    donations.decide(declined["id"], "decline")
    second = paid(donations, email="c@example.org")
    deliver(first, Action.REFUNDED, "evt_refund", amount=Money(1000, "EUR"))
    third = paid(donations, email="d@example.org")
    assert [first.receipt_number, second.receipt_number, third.receipt_number] == [
        f"{YEAR}-000001", f"{YEAR}-000002", f"{YEAR}-000003"]
    assert db.session.scalar(select(Donation.receipt_number).where(
        Donation.public_id == declined["id"])) is None


def test_a_donation_without_an_email_gets_no_receipt_and_no_error(donations, smtp):
    paid(donations)
    assert sent_mail(smtp) == []


def test_a_replayed_payment_sends_one_receipt(donations, smtp, sandbox_webhooks):
    donation = paid(donations, email="a@example.org")
    body = sandbox_webhooks.body_for(donation, "pay")
    sandbox_webhooks.deliver(body)
    deliver(donation, Action.PAYMENT_SUCCEEDED, "evt_other_id")
    assert len(sent_mail(smtp)) == 1


def test_a_refund_sends_a_notice_for_each_new_amount(donations, smtp):
    donation = paid(donations, amount="10", email="a@example.org")
    deliver(donation, Action.REFUNDED, "evt_r1", amount=Money(300, "EUR"))
    deliver(donation, Action.REFUNDED, "evt_r1b", amount=Money(300, "EUR"))  # same amount again
    deliver(donation, Action.REFUNDED, "evt_r2", amount=Money(1000, "EUR"))
    subjects = [mail["Subject"] for mail in sent_mail(smtp)]
    assert subjects[1:] == ["Your refund of €3.00", "Your refund of €10.00"]


def test_a_monthly_life_sends_receipts_a_failure_notice_and_a_goodbye(donations, smtp, runner):
    donation = paid(donations, amount="5", frequency="monthly", email="m@example.org")
    runner.invoke(args=["sandbox", "renew"])
    pledge = donation.pledge
    row, _ = ledger.record_provider_event("sandbox", "evt_fail", "test", "{}")
    ledger.apply_provider_event(row.id, lambda _row: [LedgerEvent(
        Action.INSTALLMENT_FAILED, datetime.now(), pledge_ref=pledge.public_id)])
    row, _ = ledger.record_provider_event("sandbox", "evt_cancel", "test", "{}")
    ledger.apply_provider_event(row.id, lambda _row: [LedgerEvent(
        Action.PLEDGE_CANCELLED, datetime.now(), pledge_ref=pledge.public_id)])
    mails = sent_mail(smtp)
    assert [mail["Subject"] for mail in mails] == [
        f"Receipt {YEAR}-000001: your monthly donation of €5.00",
        f"Receipt {YEAR}-000002: your monthly donation of €5.00",
        "Your monthly donation did not go through",
        "Your monthly donation has ended"]
    assert "https://give.example/manage" in mails[2].get_body(("plain",)).get_content()


def test_every_month_gets_its_own_receipt(donations, smtp):
    """Each later month is a new donation row, written in the transaction that sends its
    receipt: the receipt is told apart by that row's own id, month after month."""
    pledge = paid(donations, amount="5", frequency="monthly", email="m@example.org").pledge
    for month in (2, 3, 4):
        row, _ = ledger.record_provider_event("sandbox", f"evt_month_{month}", "test", "{}")
        ledger.apply_provider_event(row.id, lambda _row, month=month: [LedgerEvent(
            Action.INSTALLMENT_PAID, datetime.now(), pledge_ref=pledge.public_id,
            payment_ref=f"pay_month_{month}", amount=Money(500, "EUR"))])
    receipts = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "receipt")
                                  .order_by(OutboxMessage.id)).all()
    donations_ = db.session.scalars(select(Donation).where(Donation.pledge_id == pledge.id)
                                    .order_by(Donation.id)).all()
    assert [message.dedupe_key for message in receipts] == [
        f"receipt:{donation.public_id}" for donation in donations_]
    assert [mail["Subject"] for mail in sent_mail(smtp)] == [
        f"Receipt {YEAR}-{number:06d}: your monthly donation of €5.00" for number in (1, 2, 3, 4)]


def test_the_receipt_is_written_in_the_same_transaction_as_the_payment(donations, smtp, app):
    started = donations.start(email="a@example.org")
    donation = db.session.scalar(select(Donation).where(Donation.public_id == started["id"]))

    def translate_then_fail(_row):
        yield LedgerEvent(Action.PAYMENT_SUCCEEDED, datetime.now(), donation_ref=started["id"])
        raise RuntimeError("crash after the ledger moved, before commit")

    row, _ = ledger.record_provider_event("sandbox", "evt_crash", "test", "{}")
    with pytest.raises(RuntimeError):
        ledger.apply_provider_event(row.id, translate_then_fail)
    db.session.rollback()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert db.session.get(Donation, donation.id).status == "pending"


def test_a_provider_name_with_a_header_injection_stays_in_the_body(donations, smtp):
    started = donations.start()
    deliver(db.session.scalar(select(Donation).where(Donation.public_id == started["id"])),
            Action.PAYMENT_SUCCEEDED, "evt_inject", email="victim@example.org",
            name="Eve\r\nBcc: everyone@example.org")
    [mail] = sent_mail(smtp)
    assert mail["Bcc"] is None
    assert smtp.envelopes[0][1] == ["victim@example.org"]


def test_a_provider_address_that_is_not_one_gets_no_mail(donations, smtp):
    started = donations.start()
    deliver(db.session.scalar(select(Donation).where(Donation.public_id == started["id"])),
            Action.PAYMENT_SUCCEEDED, "evt_bad", email="a@example.org\r\nBcc: b@example.org")
    assert sent_mail(smtp) == []


def test_a_donor_asks_for_a_link_and_signs_in_with_it_once(donations, smtp, client):
    paid(donations, email="ada@example.org")
    page = client.get("/manage").get_data(as_text=True)
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    for address in ("ada@example.org", "nobody@example.org"):
        answer = client.post("/manage", data={"email": address, "csrf_token": csrf_token})
        assert answer.status_code == 202 and b"If we know this address" in answer.data
    mails = [mail for mail in sent_mail(smtp) if mail["Subject"].startswith("Your link")]
    assert [mail["To"] for mail in mails] == ["ada@example.org"]
    link = re.search(r"https://give.example(/manage/link/\S+)",
                     mails[0].get_body(("plain",)).get_content())[1]
    assert b"Continue to your donations" in client.get(link).data  # a GET uses nothing up
    signed_in = client.post(link)
    assert signed_in.status_code == 303
    assert "€10.00" in client.get(signed_in.headers["Location"]).get_data(as_text=True)
    assert client.post(link).status_code == 400  # single use


def test_a_tampered_manage_link_is_refused_and_the_page_needs_one(client):
    assert client.post("/manage/link/not-a-token").status_code == 400
    assert client.get("/manage/donations").status_code == 302


def test_the_annual_summary_lists_every_gift_and_totals_per_currency(donations, smtp, runner):
    first = paid(donations, amount="10", currency="EUR", email="ada@example.org", name="Ada")
    paid(donations, amount="5", currency="USD", email="ada@example.org")
    paid(donations, amount="2.50", currency="EUR", email="ada@example.org")
    paid(donations, amount="7", currency="EUR", email="bob@example.org")
    deliver(first, Action.REFUNDED, "evt_r", amount=Money(400, "EUR"))
    result = runner.invoke(args=["receipts", "annual", "--year", str(YEAR)])
    assert "2 summaries enqueued" in result.output
    again = runner.invoke(args=["receipts", "annual", "--year", str(YEAR)])
    assert "0 summaries enqueued, 2 already sent before" in again.output
    [summary] = [m for m in sent_mail(smtp) if m["Subject"] == f"Your {YEAR} giving summary"
                 and m["To"] == "ada@example.org"]
    text = summary.get_body(("plain",)).get_content()
    assert "Dear Ada" in text and "€4.00 refunded" in text
    assert f"Total {YEAR}: €8.50, $5.00" in text  # by currency code
