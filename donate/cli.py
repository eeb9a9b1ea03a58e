"""Flask commands: events work and replay, reconcile, donations refund, sandbox renew."""

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation

import click
from flask import Flask
from sqlalchemy import select

from donate.extensions import db
from donate.ledger import service as ledger
from donate.ledger.models import Donation, Pledge, ProviderEvent
from donate.ledger.states import PledgeStatus
from donate.money import AmountError, Money, to_minor
from donate.payments import inbox
from donate.payments import worker as events_worker
from donate.payments.base import InboundEvent
from donate.payments.refunds import request_refund
from donate.payments.registry import enabled_providers, provider_named
from donate.worker_loop import run_until_stopped

events_cli = click.Group("events", help="The provider event inbox.")
donations_cli = click.Group("donations", help="Donations, for staff at the command line.")
sandbox_cli = click.Group("sandbox", help="The local sandbox provider.")


@events_cli.command("replay")
def replay_events() -> None:
    """Apply stored events that were never processed (a crash or outage in between)."""
    pending = db.session.scalars(select(ProviderEvent).where(
        ProviderEvent.processed_at.is_(None)).order_by(ProviderEvent.id)).all()
    with click.progressbar(pending, label="Replaying events", show_pos=True) as rows:
        for row in rows:
            provider = provider_named(row.provider)
            if provider is None:
                click.echo(f"\nskipped {row.event_id}: provider {row.provider} is not enabled")
                continue
            ledger.apply_provider_event(row.id, provider.translate)
    click.echo(f"{len(pending)} event(s) looked at.")


@events_cli.command("work")
@click.option("--once", is_flag=True, help="Apply what is stored now, then exit.")
@click.option("--poll", default=0.5, show_default=True, help="Seconds between looks when idle.")
def work_events(once: bool, poll: float) -> None:
    """Apply stored provider events in batches; runs until stopped (SIGTERM finishes a batch)."""
    taken = run_until_stopped("Events worker", once, lambda should_stop: events_worker.work(
        once=once, poll_seconds=poll, should_stop=should_stop))
    if taken is not None:
        click.echo(f"{taken} event(s) taken")


@click.command("reconcile")
@click.option("--since", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="First day to look at (UTC), e.g. 2026-11-01.")
@click.option("--provider", "only", help="Only this provider (default: all enabled).")
def reconcile(since: datetime, only: str | None) -> None:
    """Ask the providers what was paid since a date and apply what our ledger missed."""
    for name, provider in enabled_providers().items():
        if only and name != only:
            continue
        seen = new = 0
        for inbound in provider.reconcile(since):
            _, is_new = inbox.take_in(provider, inbound)
            seen += 1
            new += is_new
            click.echo(f"\r{name}: {seen} payments checked", nl=False)
        click.echo(f"\r{name}: {seen} payments checked, {new} not seen before")


@donations_cli.command("refund")
@click.argument("donation_id")
@click.option("--amount", help="Major units, e.g. 5.00; default: all that is left.")
def refund(donation_id: str, amount: str | None) -> None:
    """Ask the provider to refund a donation (the ledger follows the provider's event)."""
    donation = db.session.scalar(select(Donation).where(Donation.public_id == donation_id))
    if donation is None:
        raise click.ClickException(f"no donation {donation_id}")
    try:
        money = Money(to_minor(Decimal(amount), donation.currency), donation.currency) \
            if amount else None
    except (InvalidOperation, AmountError) as bad:
        raise click.ClickException(f"--amount: {bad}") from None
    result = request_refund(donation, money)
    if not result.ok:
        raise click.ClickException(result.message)
    click.echo(result.message)


receipts_cli = click.Group("receipts", help="Receipts and giving summaries.")


@receipts_cli.command("annual")
@click.option("--year", required=True, type=int, help="The calendar year to summarise.")
def annual_receipts(year: int) -> None:
    """Enqueue every donor's giving summary for a year (once; a rerun sends nothing twice)."""
    from donate.mail.annual import donors_who_gave, enqueue_summaries

    count = len(donors_who_gave(year))
    new = 0
    with click.progressbar(enqueue_summaries(year), length=count, show_pos=True,
                           label=f"Summaries for {year}") as results:
        for is_new in results:
            new += is_new
    click.echo(f"{new} summaries enqueued, {count - new} already sent before.")


privacy_cli = click.Group("privacy", help="Data protection chores.")


@privacy_cli.command("purge")
def purge() -> None:
    """Delete abandoned checkouts and anonymise donors past the retention period (cron it)."""
    from donate.donors.privacy import purge as run_purge

    deleted, anonymised = run_purge()
    click.echo(f"{deleted} abandoned pending donation(s) deleted, {anonymised} donor(s) "
               "anonymised.")


@sandbox_cli.command("renew")
def renew_pledges() -> None:
    """Charge every active sandbox pledge for one more month, as a provider's billing would."""
    provider = provider_named("sandbox")
    if provider is None:
        raise click.ClickException("the sandbox is off (DONATE_SANDBOX=0)")
    pledges = db.session.scalars(select(Pledge).where(
        Pledge.provider == "sandbox", Pledge.status == PledgeStatus.ACTIVE)).all()
    for pledge in pledges:
        months = db.session.scalar(
            select(db.func.count(Donation.id)).where(Donation.pledge_id == pledge.id))
        event = provider.renewal_event(pledge, months + 1)
        inbox.take_in(provider, InboundEvent(event["id"], event["type"], json.dumps(event)))
    click.echo(f"Charged {len(pledges)} active sandbox pledge(s).")


def init_app(app: Flask) -> None:
    for command in (events_cli, donations_cli, receipts_cli, privacy_cli, sandbox_cli,
                    reconcile):
        app.cli.add_command(command)
