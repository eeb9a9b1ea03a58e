"""The benchmark's PostgreSQL database: create it, fill it with demo data, describe the setup."""

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def ensure_database(url: str) -> None:
    """CREATE DATABASE if it is missing (from the server's maintenance database)."""
    target = make_url(url)
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": target.database}):
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    engine.dispose()


def seed(url: str, donations: int) -> float:
    """Fresh schema, migrations, `flask demo seed`, VACUUM ANALYZE; return the seconds taken."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi", "LOG_LEVEL": "WARNING"}
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True)
    started = time.perf_counter()
    subprocess.run([*flask, "demo", "seed", "--donations", str(donations), "--seed", "1"],
                   cwd=ROOT, env=env, check=True)
    seconds = time.perf_counter() - started
    with engine.connect() as connection:  # visibility map for index-only scans, statistics
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return seconds


def setup(url: str) -> dict:
    engine = create_engine(url)
    with engine.connect() as connection:
        facts = {name: connection.scalar(text(query)) for name, query in {
            "postgresql": "SELECT version()",
            "donations": "SELECT count(*) FROM donation",
            "donors": "SELECT count(*) FROM donor",
            "pledges": "SELECT count(*) FROM pledge",
            "donation_table_and_indexes": "SELECT pg_size_pretty(pg_total_relation_size("
                                          "'donation'))",
            "shared_buffers": "SHOW shared_buffers",
            "work_mem": "SHOW work_mem",
        }.items()}
    engine.dispose()
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    return {"cpus": os.cpu_count(), "cpu": cpu, "platform": platform.platform(),
            "python": platform.python_version(), **facts}
