"""The staff pages people read: dashboard, donations list, donors, embed snippets."""

import re
from datetime import timedelta

import pytest

from donate.extensions import db
from donate.ledger.models import utcnow
from donate.newsletter.models import Subscriber
from donate.outbox.enqueue import enqueue


@pytest.fixture
def viewer(staff):
    return staff.signed_in("viewer")


def test_the_dashboard_states_its_definition_and_shows_the_figures(client, books, viewer):
    now = utcnow()
    books.donation(1000, completed=now, source="https://news.example.org/a")
    books.donation(2500, fee=100, refunded=600, status="partially_refunded",
                   completed=now - timedelta(days=2))
    pledge = books.pledge(500, activated=now - timedelta(days=3))
    books.donation(500, pledge=pledge, completed=now - timedelta(days=3))
    page = client.get("/staff/").get_data(as_text=True)
    assert "Money counted is what completed, partially refunded and disputed" in page
    assert "€35.00" in page  # 10.00 + 26.00 - 6.00 + 5.00 over the last 7 days
    assert "€11.67" in page  # their average, 35.00 / 3 rounded
    assert "https://news.example.org/a" in page
    assert page.count("<svg") == 2  # money per day, and recurring revenue per month
    assert re.search(r"<svg[^>]*role=\"img\" aria-labelledby=\"money-1-title money-1-desc\"",
                     page)
    assert "Money counted per day, EUR as a table" in page


def test_a_long_range_is_charted_per_month(client, books, viewer):
    books.donation(1000, completed=utcnow())
    page = client.get("/staff/?date_from=2025-01-01").get_data(as_text=True)
    assert "Money counted per month, EUR" in page


def test_a_reversed_range_is_explained_and_the_default_shown(client, viewer):
    page = client.get("/staff/?date_from=2026-03-02&date_to=2026-03-01").get_data(as_text=True)
    assert "The end date is before the start date" in page


def test_the_donations_list_pages_by_keyset_without_gaps_or_repeats(client, books, viewer):
    start = utcnow() - timedelta(days=1)
    made = [books.donation(100 + n, created=start + timedelta(minutes=n // 2)).public_id
            for n in range(60)]  # pairs share a created_at: the id breaks the tie

    def ids(page: str) -> list[str]:
        return re.findall(r'/staff/donations/([\w-]{22})"', page)

    first = client.get("/staff/donations").get_data(as_text=True)
    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(next_link).get_data(as_text=True)
    assert 'rel="next"' not in second
    assert ids(first) + ids(second) == list(reversed(made))


def test_the_donations_list_filters_and_links_its_csv(client, books, viewer):
    books.donation(1000, "USD")
    books.donation(2000, "EUR", status="failed")
    page = client.get("/staff/donations?currency=USD").get_data(as_text=True)
    assert "$10.00" in page and "€20.00" not in page
    assert "/staff/exports/donations.csv?currency=USD" in page
    assert client.get("/staff/donations?after=nonsense").status_code == 400


def test_donors_are_found_by_part_of_their_email_or_name(client, books, viewer):
    books.donor("ada.lovelace@example.org", "Ada Lovelace")
    books.donor("grace@example.org", "Grace Hopper")
    assert "ada.lovelace" in client.get("/staff/donors?q=LOVE").get_data(as_text=True)
    found = client.get("/staff/donors?q=hopper").get_data(as_text=True)
    assert "grace@example.org" in found and "ada.lovelace" not in found
    assert "No donors match" in client.get("/staff/donors?q=100%25").get_data(as_text=True)


def test_a_donors_page_shows_gifts_pledges_receipts_and_newsletter(client, books, viewer):
    donor = books.donor("ada@example.org", "Ada")
    pledge = books.pledge(500, donor=donor, activated=utcnow())
    books.donation(500, donor=donor, pledge=pledge, completed=utcnow())
    books.donation(4200, "USD", donor=donor, completed=utcnow())
    enqueue(kind="receipt", dedupe_key="receipt:x", to="ada@example.org",
            subject="Receipt 2026-000001: your donation of $42.00", text="Thanks")
    db.session.add(Subscriber(email="ada@example.org", status="confirmed", consent_text="Yes",
                              confirmed_at=utcnow()))
    db.session.commit()
    page = client.get(f"/staff/donors/{donor.id}").get_data(as_text=True)
    assert "$42.00" in page and "€5.00" in page
    assert "Receipt 2026-000001" in page
    assert "confirmed" in page
    assert client.get("/staff/donors/999999").status_code == 404


def test_the_embed_page_previews_every_variant_in_a_frame(client, viewer):
    answer = client.get("/staff/embed")
    page = answer.get_data(as_text=True)
    for variant in ("slider", "quick", "newsletter"):
        assert f'src="/widget?variant={variant}"' in page
        assert f'data-variant="{variant}"' in page
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    # The preview works because the widget lets our own pages frame it.
    widget = client.get("/widget?variant=quick")
    assert "frame-ancestors 'self'" in widget.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in widget.headers
