"""The staff pages at scale: seed donations into PostgreSQL, then time what staff wait for.

    make bench                                       # 1,000,000 donations, 200,000 donors
    BENCH_DONATIONS=100000 make bench                # a smaller run
    .venv/bin/python bench/staff_bench.py --reuse    # time again without seeding again

The database is BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/bench),
created if missing; its schema is dropped and rebuilt by the real migrations, then filled by
`flask demo seed`. Timings are in-process server times through the Flask test client, signed in
as staff: the median of RUNS runs after one warm-up. Results also go to bench/results/.
"""

import argparse
import json
import os
import re
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import date, timedelta

from bench_database import ROOT, ensure_database, seed, setup

sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
RUNS = 5
PASSWORD = "benchmark password"


def signed_in_client(app):
    from donate.extensions import db
    from donate.staff.accounts import AccountError, create_staff

    with app.app_context():
        try:
            create_staff("bench@example.org", PASSWORD, "admin")
            db.session.commit()
        except AccountError:  # --reuse: made by an earlier run
            db.session.rollback()
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/staff/login", data={"csrf_token": token, "email": "bench@example.org",
                                               "password": PASSWORD})
    assert answer.status_code == 303, answer.status_code
    return client


def median_ms(client, path: str) -> float:
    times = []
    for _ in range(RUNS + 1):
        started = time.perf_counter()
        answer = client.get(path)
        answer.get_data()
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return round(statistics.median(times[1:]), 1)


def pages(app, client) -> dict[str, str]:
    """The pages to time, with real values (a top source, a donor, a cursor) from the data."""
    from sqlalchemy import func, select

    from donate.extensions import db
    from donate.ledger.models import Donation, Donor

    with app.app_context():
        source = db.session.scalar(select(Donation.source).group_by(Donation.source)
                                   .order_by(func.count().desc()).limit(1))
        donor = db.session.scalar(select(Donor.id).order_by(Donor.id.desc()).limit(1))
        gift = db.session.scalar(select(Donation.public_id).order_by(Donation.id).limit(1))
    first_page = client.get("/staff/donations").get_data(as_text=True)
    next_page = re.search(r'href="([^"]+)" rel="next"', first_page).group(1).replace("&amp;", "&")
    today = date.today()
    return {
        "dashboard (last 30 days)": "/staff/",
        "dashboard (this year)": f"/staff/?date_from={today.year}-01-01",
        "dashboard (13 months)": f"/staff/?date_from={today - timedelta(days=395)}",
        "donations: newest": "/staff/donations",
        "donations: next page (keyset)": next_page,
        "donations: status=disputed": "/staff/donations?status=disputed",
        "donations: provider=paypal": "/staff/donations?provider=paypal",
        "donations: currency=GBP": "/staff/donations?currency=GBP",
        "donations: frequency=monthly": "/staff/donations?frequency=monthly",
        "donations: source=top article": f"/staff/donations?source={source}",
        "donations: last 7 days": f"/staff/donations?date_from={today - timedelta(days=6)}",
        "donations: 3 months ago, EUR, refunded": (
            f"/staff/donations?date_from={today - timedelta(days=100)}"
            f"&date_to={today - timedelta(days=90)}&currency=EUR&status=refunded"),
        "donors: newest": "/staff/donors",
        "donors: search 'lindqvist'": "/staff/donors?q=lindqvist",
        "donors: search, no match": "/staff/donors?q=nobody-at-all",
        "donor page": f"/staff/donors/{donor}",
        "donation page": f"/staff/donations/{gift}",
    }


def export(client, path: str, trace: bool = False) -> dict:
    """Stream a CSV export to the end: rows per second, or (traced) the peak Python memory."""
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    answer = client.get(path)
    lines = size = 0
    for chunk in answer.iter_encoded():
        lines += chunk.count(b"\n")
        size += len(chunk)
    answer.close()
    seconds = time.perf_counter() - started
    result = {"rows": lines - 1, "seconds": round(seconds, 2), "megabytes": round(size / 1e6, 1),
              "rows_per_second": round((lines - 1) / seconds)}
    if trace:
        result = {"peak_traced_mb": round(tracemalloc.get_traced_memory()[1] / 1e6, 2)}
        tracemalloc.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donations", type=int,
                        default=int(os.environ.get("BENCH_DONATIONS", "1000000")))
    parser.add_argument("--reuse", action="store_true", help="time the data already there")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    results: dict = {"seed_seconds": None if args.reuse else round(seed(url, args.donations), 1)}
    results["setup"] = setup(url)

    from config import TestConfig
    from donate import create_app

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, LOG_LEVEL="WARNING")
    client = signed_in_client(app)
    results["pages_ms"] = {name: median_ms(client, path)
                           for name, path in pages(app, client).items()}
    results["export_donations_csv"] = export(client, "/staff/exports/donations.csv")
    results["export_memory"] = {
        "all donations": export(client, "/staff/exports/donations.csv", trace=True),
        "currency=GBP": export(client, "/staff/exports/donations.csv?currency=GBP", trace=True)}
    results["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report(results)


def report(results: dict) -> None:
    print(json.dumps(results, indent=2))
    folder = ROOT / "bench" / "results"
    folder.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (folder / f"staff-{stamp}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
