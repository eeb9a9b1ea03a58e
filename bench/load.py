"""Load on the app under gunicorn, against PostgreSQL, driven by wrk from a second process.

    make bench-load                     # or: .venv/bin/python bench/load.py
    BENCH_SECONDS=20 BENCH_EVENTS=30000 .venv/bin/python bench/load.py
    BENCH_RUNS=webhooks .venv/bin/python bench/load.py  # some of bare,widget,donations,webhooks

Four runs, each wrk -t2 -c$BENCH_CONNECTIONS on 127.0.0.1: the bare Flask endpoint
(bench/bare_app.py, the framework's ceiling) and GET /widget, in turns, BENCH_ROUNDS times
after a warm-up (each reported as the median turn), POST /donations (JSON, the sandbox
provider: no provider server to measure too), and signed sandbox webhook deliveries (every
event once plus 30 % duplicates, shuffled), after which the ledger is checked: every event
stored once, every paid donation completed once. Both apps run under the same gunicorn.conf.py.
Webhooks are applied as production applies them: by one `flask events work` process beside
gunicorn (APPLY_EVENTS_IN_WORKER=1), whose backlog is waited for after wrk stops; with
BENCH_APPLY_INLINE=1 each delivery is applied by the endpoint instead. BENCH_WEBHOOK_RATE
offers about that many deliveries a second (each connection pauses between requests) instead
of as many as the app answers: the rate the ledger keeps up with is the sustained one.
BENCH_EVENTS_WORKERS (default 1) runs that many workers. BENCH_WEBHOOK_APPLY=after measures a
burst instead: no worker while wrk runs (the rate the endpoint verifies and stores on its
own), then the workers alone drain what was stored (the rate the ledger applies on its own);
the two rates are the two halves of the end-to-end one.
The database is BENCH_LOAD_DATABASE_URL (default: the local server's `bench_load` database,
its schema rebuilt by the migrations; the staff benchmark's `bench` database is left alone).
Prints one JSON document and writes it to bench/results/load-<time>.json.
"""

import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

import requests
from bench_database import ROOT, ensure_database, setup
from sqlalchemy import create_engine, insert, select, text

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_load"
WRK = ROOT / "bench" / "wrk"
SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "20000"))
RUNS = set(os.environ.get("BENCH_RUNS", "bare,widget,donations,webhooks").split(","))
#: the app listens here, the bare endpoint on the next port
PORT = int(os.environ.get("BENCH_PORT", "8000"))
APPLY_INLINE = os.environ.get("BENCH_APPLY_INLINE") == "1"
WEBHOOK_RATE = int(os.environ.get("BENCH_WEBHOOK_RATE", "0"))
#: "beside": the events worker runs while wrk does; "after": it starts when wrk has stopped
EVENTS_WORKERS = int(os.environ.get("BENCH_EVENTS_WORKERS", "1"))
WEBHOOK_APPLY = os.environ.get("BENCH_WEBHOOK_APPLY", "beside")
DUPLICATES = 0.3
#: Turns of bare endpoint then widget; each row of the results is the median of the turns.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WARM_UP_SECONDS = 3
SECRET_KEY = "bench-secret-key-" + "0" * 32


def app_environment(url: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY,
            "DONATE_SANDBOX": "1", "RATELIMIT_ENABLED": "0",  # one client sends everything
            "PUBLIC_URL": f"http://127.0.0.1:{PORT}", "FLASK_APP": "wsgi",
            "APPLY_EVENTS_IN_WORKER": "0" if APPLY_INLINE else "1"}


def fresh_schema(url: str) -> None:
    ensure_database(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, check=True,
                   env=app_environment(url), capture_output=True)


@contextmanager
def gunicorn(target: str, port: int, env: dict):
    """gunicorn with the repository's gunicorn.conf.py, its logs kept in bench/results/."""
    log = (ROOT / "bench" / "results" / f"gunicorn-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", target], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=40)
        log.close()


@contextmanager
def events_worker(env: dict):
    """EVENTS_WORKERS `flask events work` processes beside gunicorn (unless the endpoint
    applies events itself)."""
    if APPLY_INLINE:
        yield []
        return
    log = (ROOT / "bench" / "results" / "events-worker.log").open("w")
    processes = [subprocess.Popen([sys.executable, "-m", "flask", "events", "work"], cwd=ROOT,
                                  env=env, stdout=log, stderr=log)
                 for _ in range(EVENTS_WORKERS)]
    try:
        yield [process.pid for process in processes]
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
        log.close()


def unapplied(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(text(
            "SELECT count(*) FROM provider_event WHERE processed_at IS NULL"))
    engine.dispose()
    return count


def seconds_until_applied(url: str, limit: float = 300) -> float:
    """After wrk stops: how long until no stored event is left unapplied."""
    return drain(url, limit)["seconds_until_none_left"]


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU these processes have used so far (/proc/<pid>/stat)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def drain(url: str, limit: float = 300, workers: list[int] = ()) -> dict:
    """Poll until no stored event is left unapplied: how long that took, and the workers' own
    rate and CPU per event, from the first event they applied (not counting their start-up).
    The CPU is the steadier number: one worker's rate is bound by round trips too."""
    engine = create_engine(url)
    started = time.monotonic()
    first_seen = None
    cpu_at_first = 0.0
    with engine.connect() as connection:
        left = initially = connection.scalar(text(
            "SELECT count(*) FROM provider_event WHERE processed_at IS NULL"))
        while left and time.monotonic() - started < limit:
            connection.rollback()
            time.sleep(0.05)
            left = connection.scalar(text(
                "SELECT count(*) FROM provider_event WHERE processed_at IS NULL"))
            if first_seen is None and left < initially:
                first_seen = (time.monotonic(), left)
                cpu_at_first = cpu_seconds(workers)
    ended = time.monotonic()
    cpu_at_end = cpu_seconds(workers)
    engine.dispose()
    result = {"seconds_until_none_left": round(ended - started, 2), "left": left}
    if first_seen and ended > first_seen[0]:
        result["events_per_second_once_started"] = round(first_seen[1] / (ended - first_seen[0]), 1)
        if workers and first_seen[1]:
            result["worker_cpu_ms_per_event"] = round(
                (cpu_at_end - cpu_at_first) * 1000 / first_seen[1], 3)
    return result


def wrk(script: str, url: str, *args: str, seconds: int = SECONDS) -> dict:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
               "-s", str(WRK / script), url]
    if args:
        command += ["--", *args]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH_JSON "))
    result = json.loads(line.removeprefix("BENCH_JSON "))
    exhausted = [line for line in output.splitlines()
                 if line.startswith("BENCH_THREAD ") and line.endswith("true")]
    if exhausted:
        result["deliveries_ran_out"] = True  # raise BENCH_EVENTS: the rate includes repeats
    return result


def widget_against_bare(bare_url: str, widget_url: str) -> dict:
    """The bare endpoint and GET /widget, each warmed up (every worker past its first
    request), then measured in turns, ROUNDS times: the box's speed drifts over a minute
    (other tenants), so a ratio is only fair between neighbouring runs."""
    urls = {name: url for run, name, url in [("bare", "bare_flask", bare_url),
                                             ("widget", "get_widget", widget_url)]
            if run in RUNS}
    for url in urls.values():
        wrk("get.lua", url, seconds=WARM_UP_SECONDS)
    rounds = {name: [] for name in urls}
    for _ in range(ROUNDS):
        for name, url in urls.items():
            rounds[name].append(wrk("get.lua", url))
    return {name: {**{key: statistics.median(run[key] for run in runs) for key in (
        "rps", "p50_ms", "p95_ms", "p99_ms")}, "errors": sum(
        run["non_2xx_3xx"] + run["socket_errors"] for run in runs), "rounds": runs}
        for name, runs in rounds.items()}


def webhook_deliveries(url: str, path: Path) -> tuple[int, int]:
    """Donations waiting for payment, and a file of signed 'paid' deliveries for them."""
    sys.path.insert(0, str(ROOT))
    os.environ.update(app_environment(url))
    from donate import create_app
    from donate.extensions import db
    from donate.ledger.models import Donation, Donor, new_public_id
    from donate.payments.registry import provider_named

    app = create_app()
    with app.app_context():
        db.session.execute(insert(Donor), [{"email": f"reader{n}@bench.example"}
                                           for n in range(EVENTS)])
        donor_ids = db.session.scalars(select(Donor.id).where(
            Donor.email.like("%@bench.example")).order_by(Donor.id)).all()
        db.session.execute(insert(Donation), [
            {"public_id": new_public_id(), "currency": "EUR", "amount_minor": 1000,
             "charged_minor": 1000, "provider": "sandbox", "donor_id": donor_id}
            for donor_id in donor_ids])
        db.session.commit()
        provider = provider_named("sandbox")
        bodies = [json.dumps(provider.outcome_event(donation, "pay")).encode()
                  for donation in db.session.scalars(select(Donation).where(
                      Donation.donor_id >= donor_ids[0]))]
        deliveries = bodies + random.Random(1).sample(bodies, int(len(bodies) * DUPLICATES))
        random.Random(2).shuffle(deliveries)
        with path.open("w") as out:
            for body in deliveries:
                signature = provider.sign(body)["Sandbox-Signature"]
                out.write(f"{signature}\t{body.decode()}\n")
        db.engine.dispose()
    return len(deliveries), len(bodies)


def webhook_run(url: str, env: dict, app: str, deliveries_file: Path) -> dict:
    """wrk's deliveries with the events worker beside it, or (WEBHOOK_APPLY "after") first
    the burst alone and then the worker alone, its draining timed."""
    pause = str(CONNECTIONS * 1000 // WEBHOOK_RATE if WEBHOOK_RATE else 0)
    after = WEBHOOK_APPLY == "after" and not APPLY_INLINE
    with nullcontext() if after else events_worker(env):
        result = wrk("webhooks.lua", app, str(deliveries_file), "2", pause)
        result["unapplied_when_wrk_stopped"] = unapplied(url)
        if not after:
            result["seconds_to_apply_the_rest"] = seconds_until_applied(url)
    if after:
        with events_worker(env) as workers:
            result["worker_alone"] = drain(url, workers=workers)
            result["seconds_to_apply_the_rest"] = result["worker_alone"]["seconds_until_none_left"]
    return {**result, "applied_by": "the endpoint" if APPLY_INLINE else
            f"{EVENTS_WORKERS} x flask events work",
            "worker_ran": "after wrk" if after else "beside wrk",
            "offered_rate": WEBHOOK_RATE or "as fast as answered"}


def acknowledged(deliveries_file: Path) -> set[str]:
    """The event ids the app answered 200 for (written by wrk/webhooks.lua, per thread)."""
    acked = set()
    for path in deliveries_file.parent.glob(deliveries_file.name + ".acked-*"):
        acked |= set(path.read_text().split())
        path.unlink()
    return acked


def ledger_check(url: str, acked: set[str]) -> dict:
    """Every acknowledged event stored and applied once; every paid donation counted once."""
    engine = create_engine(url)
    with engine.connect() as connection:
        stored_ids = set(connection.scalars(text("SELECT event_id FROM provider_event")))
        stored = len(stored_ids)
        unprocessed = connection.scalar(
            text("SELECT count(*) FROM provider_event WHERE processed_at IS NULL"))
        completed = connection.scalar(text(
            "SELECT count(*) FROM donation WHERE status = 'completed' AND donor_id IS NOT NULL "
            "AND payment_ref IS NOT NULL"))
        receipts = connection.scalar(text("SELECT count(DISTINCT receipt_number) FROM donation "
                                          "WHERE receipt_number IS NOT NULL"))
        receipt_emails = connection.scalar(text(
            "SELECT count(*) FROM outbox_message WHERE kind = 'receipt'"))
    engine.dispose()
    return {"acknowledged_events": len(acked), "stored": stored, "unprocessed": unprocessed,
            "completed": completed, "receipt_numbers": receipts,
            "receipt_emails": receipt_emails, "lost": len(acked - stored_ids),
            "double_counted": max(completed - stored, receipt_emails - stored, 0)}


def main() -> None:
    url = os.environ.get("BENCH_LOAD_DATABASE_URL", DEFAULT_URL)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    fresh_schema(url)
    env = app_environment(url)
    results = {"setup": {**setup(url), "load_average_before": os.getloadavg(),
                         "gunicorn_workers": env.get(
        "WEB_CONCURRENCY", 2 * os.cpu_count() + 1), "gunicorn_threads": env.get(
        "GUNICORN_THREADS", 2), "wrk": f"-t2 -c{CONNECTIONS} -d{SECONDS}s",
        "wrk_version": subprocess.run(["wrk", "-v"], capture_output=True, text=True
                                      ).stdout.splitlines()[0]}}
    deliveries_file = ROOT / "bench" / "results" / "webhook-deliveries.tsv"
    with gunicorn("bench.bare_app:app", PORT + 1, env) as bare, \
            gunicorn("wsgi:app", PORT, env) as app:
        if {"bare", "widget"} & RUNS:
            results.update(widget_against_bare(f"{bare}/", f"{app}/widget"))
        if "donations" in RUNS:
            results["post_donations"] = wrk("donations.lua", f"{app}/donations")
        if "webhooks" in RUNS:
            deliveries, unique = webhook_deliveries(url, deliveries_file)  # signed: 5 min to go
            results["webhooks"] = webhook_run(url, env, app, deliveries_file)
            results["webhooks"].update(deliveries_in_file=deliveries,
                                       unique_events_in_file=unique)
    results["ratios"] = {}
    if "webhooks" in RUNS:
        results["webhook_ledger_check"] = ledger_check(url, acknowledged(deliveries_file))
        stored, webhooks = results["webhook_ledger_check"]["stored"], results["webhooks"]
        results["ratios"]["new_webhook_events_per_second"] = round(
            stored / webhooks["seconds"], 1)
        results["ratios"]["new_events_applied_per_second"] = round(
            stored / (webhooks["seconds"] + webhooks["seconds_to_apply_the_rest"]), 1)
        if "worker_alone" in webhooks:
            results["ratios"]["events_applied_per_second_by_the_worker_alone"] = \
                webhooks["worker_alone"].get("events_per_second_once_started")
    if {"bare", "widget"} <= RUNS:
        results["ratios"]["widget_to_bare"] = statistics.median(
            round(widget["rps"] / bare["rps"], 3) for bare, widget in zip(
                results["bare_flask"]["rounds"], results["get_widget"]["rounds"], strict=True))
    text_out = json.dumps(results, indent=2)
    print(text_out)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (ROOT / "bench" / "results" / f"load-{stamp}.json").write_text(text_out)


if __name__ == "__main__":
    main()
