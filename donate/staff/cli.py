"""`flask staff create EMAIL [--role admin|viewer]`, `flask staff rebuild-totals` and
`flask demo seed --donations N`."""

import sys
import time

import click
from flask import current_app

from donate.extensions import db
from donate.staff.accounts import AccountError, create_staff
from donate.staff.models import Role

staff_cli = click.Group("staff", help="Staff accounts.")
demo_cli = click.Group("demo", help="Demo data for trying out the staff pages.")


def read_password() -> str:
    """From a prompt (asked twice, not echoed), or the first line of stdin when piped."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@staff_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(Role.ALL), default=Role.VIEWER, show_default=True,
              help="admin: refunds, email retries, staff management; viewer: read only.")
def create(email: str, role: str) -> None:
    """Add a staff account; the password comes from a prompt, or from stdin when piped."""
    try:
        user = create_staff(email, read_password(), role)
    except AccountError as refused:
        raise click.ClickException(str(refused)) from None
    db.session.commit()
    click.echo(f"{user.email} can now sign in at /staff/login as {user.role}.")


@staff_cli.command("rebuild-totals")
def rebuild_totals() -> None:
    """Recount the dashboard's tallies from the donations (after importing donations by SQL).

    Ledger writes wait while it runs: a few seconds at a million donations.
    """
    from donate.ledger.recount import rebuild

    def report(year: int, done: int, years: int) -> None:
        click.echo(f"Recounted {year} ({done} of {years} years)")

    started = time.perf_counter()
    rebuild(progress=report)
    click.echo(f"Rebuilt the dashboard's totals in {time.perf_counter() - started:.1f} s.")


@demo_cli.command("seed")
@click.option("--donations", "count", type=click.IntRange(1), default=1000, show_default=True,
              help="How many donations to add (donors: a fifth as many).")
@click.option("--seed", "random_seed", type=int, default=None,
              help="Random seed, for the same data twice.")
def seed(count: int, random_seed: int | None) -> None:
    """Add realistic demo donors, donations and pledges over the past 13 months."""
    from donate.staff.seed import seed_demo_data

    if current_app.config["DONATE_ENV"] == "production":
        raise click.ClickException("demo data is not for production")
    with click.progressbar(length=count, label="Seeding donations", show_pos=True,
                           show_percent=True) as bar:
        totals = seed_demo_data(count, random_seed, progress=bar.update)
    click.echo(f"Added {totals.donors} donors, {totals.pledges} pledges and "
               f"{totals.donations} donations.")
