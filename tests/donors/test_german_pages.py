"""A German reader's donor pages: days and amounts as Germans write them, then German words."""

from sqlalchemy import select

from donate.extensions import db
from donate.ledger.models import Donation
from tests.donors.test_self_service import give, pay_in_sandbox, sign_in
from tests.german import ENGLISH_DAY, GERMAN, GERMAN_DAY, euros, needs_catalogue


def donor_pages(client) -> list[str]:
    """The signed-in donor's list, receipt and summary pages, as paths."""
    pay_in_sandbox(client, give(client, frequency="once", amount="5", lang="de"))
    sign_in(client)
    gift = db.session.scalar(select(Donation))
    return ["/manage/donations", f"/manage/receipts/{gift.public_id}",
            f"/manage/summary/{gift.completed_at.year}"]


def test_a_german_reader_sees_days_and_amounts_written_the_german_way(client):
    for path in donor_pages(client):
        page = client.get(path, headers=GERMAN).get_data(as_text=True)
        assert '<html lang="de">' in page, path
        assert euros("5,00") in page and GERMAN_DAY.search(page), path
        assert "€5.00" not in page and not ENGLISH_DAY.search(page), path


def test_an_english_reader_still_sees_them_the_english_way(client):
    for path in donor_pages(client):
        page = client.get(path).get_data(as_text=True)
        assert "€5.00" in page and ENGLISH_DAY.search(page), path


def test_a_german_reader_reads_the_donor_pages_in_german(client):
    needs_catalogue("Your donations")
    english = {"/manage/donations": "Your donations", "/manage": "Manage your donations"}
    for path in [*donor_pages(client), "/manage"]:
        page = client.get(path, headers=GERMAN).get_data(as_text=True)
        assert "Use your browser's Print" not in page and english.get(path, "Date") not in page
