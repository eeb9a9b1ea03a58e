"""The migrations fill the tallies from the donations already there, as a recount would."""

import random
from datetime import datetime, timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import insert

from donate.extensions import db
from donate.ledger.models import Donation, Donor
from tests.tallies import assert_tallies_match_donations, kept_and_recounted

STATUSES = ["completed", "completed", "refunded", "partially_refunded", "disputed", "pending",
            "failed", "cancelled"]


def donation_rows(rng: random.Random, donor_ids: list[int], count: int) -> list[dict]:
    rows = []
    for number in range(count):
        status, charged = rng.choice(STATUSES), rng.choice([500, 1234, 10000])
        settled = status in {"completed", "refunded", "partially_refunded", "disputed"}
        refunded = {"refunded": charged, "partially_refunded": charged // 3}.get(status, 0)
        created = datetime(2025, 12, 20) + timedelta(hours=rng.randint(0, 24 * 30))
        rows.append({"public_id": f"d{number}", "kind": rng.choice(["one_time", "installment"]),
                     "status": status, "currency": rng.choice(["EUR", "USD"]),
                     "amount_minor": charged, "fee_minor": 0, "charged_minor": charged,
                     "refunded_minor": refunded, "provider": "sandbox",
                     "donor_id": rng.choice([None, *donor_ids]), "newsletter_opt_in": False,
                     "created_at": created, "updated_at": created,
                     "completed_at": created + timedelta(minutes=5) if settled else None})
    return rows


def test_the_migrations_backfill_the_tallies_from_existing_donations(app):
    db.session.remove()
    downgrade(revision="0008")
    try:
        donors = [{"email": f"donor{n}@example.org", "created_at": datetime(2025, 1, 1)}
                  for n in range(12)]
        donor_ids = list(db.session.scalars(insert(Donor).returning(Donor.id), donors))
        db.session.execute(insert(Donation.__table__),  # Core: no ledger, no tallies yet
                           donation_rows(random.Random(6), donor_ids, 300))
        db.session.commit()
        db.session.remove()
    finally:
        upgrade()
    assert_tallies_match_donations()
    [(days, _), (donor_years, _)] = kept_and_recounted()
    assert len(days) > 100 and {year for _, _, year in donor_years} == {2025, 2026}
