"""Flask commands: `flask events replay`, `flask sandbox renew`."""

import json

import click
from flask import Flask
from sqlalchemy import select

from donate.extensions import db
from donate.ledger import service as ledger
from donate.ledger.models import Donation, Pledge, ProviderEvent
from donate.ledger.states import PledgeStatus
from donate.payments import inbox
from donate.payments.base import InboundEvent
from donate.payments.registry import provider_named

events_cli = click.Group("events", help="The provider event inbox.")
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
    app.cli.add_command(events_cli)
    app.cli.add_command(sandbox_cli)
