"""CSV exports: streamed, integer minor units, the lists' filters, no formula injection."""

import csv
import io
from datetime import datetime

import pytest

from donate.extensions import db
from donate.newsletter.models import Subscriber
from donate.staff.csvstream import csv_chunks, neutralise
from tests.staff.conftest import audit_actions

FIRST_COLUMNS = "id,created_at,status,amount,currency,frequency,provider,email,source"


def rows_of(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def viewer(staff):
    return staff.signed_in("viewer")


def test_donations_csv_is_streamed_with_the_contract_columns_first(client, books, viewer):
    donor = books.donor("ada@example.org")
    gift = books.donation(1041, fee=59, refunded=100, status="partially_refunded",
                          completed=datetime(2026, 3, 1, 10), created=datetime(2026, 3, 1, 9),
                          donor=donor, source="https://news.example.org/a",
                          receipt_number="2026-000007", provider="stripe")
    answer = client.get("/staff/exports/donations.csv")
    assert answer.is_streamed
    assert answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    text = answer.get_data(as_text=True)
    assert text.startswith(FIRST_COLUMNS + ",")
    [row] = rows_of(answer)
    assert row == {"id": gift.public_id, "created_at": "2026-03-01T09:00:00Z",
                   "status": "partially_refunded", "amount": "1100", "currency": "EUR",
                   "frequency": "once", "provider": "stripe", "email": "ada@example.org",
                   "source": "https://news.example.org/a", "amount_major": "11.00",
                   "fee": "59", "refunded": "100", "receipt_number": "2026-000007",
                   "kind": "one_time", "completed_at": "2026-03-01T10:00:00Z"}
    assert audit_actions()[-1] == ("export", "donations.csv")


def test_amount_major_follows_the_currencys_decimals(client, books, viewer):
    books.donation(1000, "JPY")
    books.donation(1041, "USD")
    assert sorted(row["amount_major"] for row in rows_of(
        client.get("/staff/exports/donations.csv"))) == ["10.41", "1000"]


def test_donations_csv_applies_the_list_filters(client, books, viewer):
    pledge = books.pledge(500, "USD")
    books.donation(500, "USD", pledge=pledge, created=datetime(2026, 2, 1))
    books.donation(700, "USD", created=datetime(2026, 2, 2))
    books.donation(900, "EUR", created=datetime(2026, 2, 3), status="failed")
    books.donation(300, "USD", created=datetime(2026, 3, 1))

    def amounts(**filters) -> list[str]:
        return [row["amount"] for row in rows_of(
            client.get("/staff/exports/donations.csv", query_string=filters))]

    assert amounts(currency="USD", date_from="2026-02-01", date_to="2026-02-28") == ["500", "700"]
    assert amounts(frequency="monthly") == ["500"]
    assert amounts(status="failed") == ["900"]
    assert amounts(date_from="2026-02-02", date_to="2026-02-02") == ["700"]


def test_a_bad_filter_refuses_the_export_instead_of_exporting_everything(client, viewer):
    answer = client.get("/staff/exports/donations.csv?currency=XXX")
    assert answer.status_code == 400
    assert client.get("/staff/exports/donations.csv?date_from=2026-13-01").status_code == 400


@pytest.mark.parametrize(("cell", "written"), [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"), ("+1", "'+1"),
    ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("Ada", "Ada"), ("", ""), (1041, 1041)])
def test_cells_that_a_spreadsheet_would_run_are_neutralised(cell, written):
    assert neutralise(cell) == written


def test_donors_csv_neutralises_a_formula_in_a_name(client, books, viewer):
    books.donor("eve@example.org", name="=cmd|' /C calc'!A0")
    [row] = rows_of(client.get("/staff/exports/donors.csv"))
    assert row["name"] == "'=cmd|' /C calc'!A0"
    assert (row["email"], row["newsletter"]) == ("eve@example.org", "")


def test_pledges_and_subscribers_export(client, books, viewer, app):
    donor = books.donor("sam@example.org")
    books.pledge(800, "USD", fee=53, activated=datetime(2026, 1, 5), donor=donor)
    [pledge] = rows_of(client.get("/staff/exports/pledges.csv"))
    assert (pledge["amount"], pledge["amount_major"], pledge["frequency"], pledge["email"],
            pledge["activated_at"]) == ("853", "8.53", "monthly", "sam@example.org",
                                        "2026-01-05T00:00:00Z")
    db.session.add_all([
        Subscriber(email="yes@example.org", status="confirmed", consent_text="Send it",
                   confirmed_at=datetime(2026, 2, 1), consent_source="https://n.example/x"),
        Subscriber(email="no@example.org", status="pending", consent_text="Send it")])
    db.session.commit()
    answer = client.get("/staff/exports/subscribers.csv")
    assert answer.is_streamed
    assert [(row["email"], row["confirmed_at"]) for row in rows_of(answer)] == [
        ("yes@example.org", "2026-02-01T00:00:00Z")]
    assert rows_of(client.get("/staff/exports/subscribers.csv?date_from=2026-03-01")) == []


def test_the_csv_is_sent_in_chunks_not_built_whole():
    chunks = list(csv_chunks(["n"], ([n] for n in range(1200))))
    assert len(chunks) == 3  # 500 + 500 + 200 rows (the first with the header)
    assert chunks[0].startswith("n\r\n0\r\n")
