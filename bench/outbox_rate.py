"""Outbox delivery rate: enqueue N emails, time `flask outbox work --once` into an SMTP sink.

    make bench-outbox                   # or: .venv/bin/python bench/outbox_rate.py
    BENCH_EMAILS=5000 BENCH_WORKERS=2 .venv/bin/python bench/outbox_rate.py

The sink is aiosmtpd on 127.0.0.1 (tests/fakes/smtp.py), which parses every message it takes.
BENCH_WORKERS workers run side by side (FOR UPDATE SKIP LOCKED shares the queue). Uses the
same database as bench/load.py (BENCH_LOAD_DATABASE_URL, `bench_load`), schema rebuilt.
"""

import json
import os
import subprocess
import sys
import time

from bench_database import ROOT, setup
from load import DEFAULT_URL, app_environment, fresh_schema
from sqlalchemy import create_engine, text

EMAILS = int(os.environ.get("BENCH_EMAILS", "3000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))


def enqueue_all(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(app_environment(url))
    from donate import create_app
    from donate.extensions import db
    from donate.mail.render import render_email
    from donate.outbox.enqueue import enqueue

    app = create_app()
    with app.app_context(), app.test_request_context():
        for n in range(EMAILS):
            email = render_email("newsletter_confirm", "Please confirm your subscription",
                                 confirm_url=f"https://donate.example/confirm/{n}")
            enqueue(kind="bench", dedupe_key=f"bench:{n}", to=f"reader{n}@bench.example",
                    subject=email.subject, text=email.text, html=email.html)
            if n % 500 == 499:
                db.session.commit()
        db.session.commit()
        db.engine.dispose()


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.fakes.smtp import SmtpSink

    url = os.environ.get("BENCH_LOAD_DATABASE_URL", DEFAULT_URL)
    fresh_schema(url)
    enqueue_all(url)
    sink = SmtpSink().start()
    env = {**app_environment(url), "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink.port),
           "LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    workers = [subprocess.Popen([sys.executable, "-m", "flask", "outbox", "work", "--once"],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
               for _ in range(WORKERS)]
    outputs = [worker.communicate(timeout=600)[0].strip() for worker in workers]
    elapsed = time.perf_counter() - started
    sink.stop()
    engine = create_engine(url)
    with engine.connect() as connection:
        sent = connection.scalar(text("SELECT count(*) FROM outbox_message WHERE status='sent'"))
    engine.dispose()
    results = {"setup": setup(url), "emails": EMAILS, "workers": WORKERS,
               "seconds": round(elapsed, 2), "emails_per_second": round(EMAILS / elapsed, 1),
               "received_by_sink": len(sink.messages), "marked_sent": sent,
               "distinct_recipients": len({message["To"] for message in sink.messages}),
               "worker_output": outputs}
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
