"""`flask abuse block|unblock|list|alerts`: the block list and recent alerts, for staff."""

import getpass
from datetime import timedelta

import click
from sqlalchemy import select

from donate.abuse import blocklist
from donate.abuse.models import AbuseAlert
from donate.extensions import db
from donate.ledger.models import utcnow

abuse_cli = click.Group("abuse", help="Card-testing defences: block list and alerts.")


@abuse_cli.command("block")
@click.argument("target")
@click.option("--reason", required=True, help="Why, for whoever reads the list later.")
@click.option("--hours", type=click.IntRange(min=1), help="Lapse after this many hours "
              "(default: until unblocked).")
@click.option("--by", "created_by", default=getpass.getuser, show_default="your login name",
              help="Who is blocking (a staff email).")
def block(target: str, reason: str, hours: int | None, created_by: str) -> None:
    """Refuse checkout from TARGET: a network (203.0.113.0/24), an IP or an email address."""
    expires_at = utcnow() + timedelta(hours=hours) if hours else None
    try:
        row = blocklist.add_block(target, reason, created_by, expires_at)
    except ValueError as bad:
        raise click.BadParameter(str(bad), param_hint="TARGET") from None
    until = f"until {row.expires_at:%Y-%m-%d %H:%M} UTC" if row.expires_at else "until unblocked"
    click.echo(f"Blocked {row.target} ({until}), id {row.id}.")


@abuse_cli.command("unblock")
@click.argument("target")
def unblock(target: str) -> None:
    """Lift the blocks on TARGET (as given to `block`) or the block with id TARGET."""
    try:
        removed = blocklist.remove_blocks(target)
    except ValueError as bad:
        raise click.BadParameter(str(bad), param_hint="TARGET") from None
    if not removed:
        raise click.ClickException(f"nothing blocked as {target}")
    click.echo(f"Unblocked {target} ({removed} block(s) removed).")


@abuse_cli.command("list")
@click.option("--all", "include_expired", is_flag=True, help="Show lapsed blocks too.")
def list_blocks(include_expired: bool) -> None:
    """The block list."""
    rows = blocklist.list_blocks(include_expired)
    for row in rows:
        until = f"{row.expires_at:%Y-%m-%d %H:%M}" if row.expires_at else "-"
        click.echo(f"{row.id}\t{row.target}\tuntil {until}\tby {row.created_by}\t{row.reason}")
    click.echo(f"{len(rows)} blocked.")


@abuse_cli.command("alerts")
@click.option("--hours", default=24, show_default=True, help="How far back to look.")
def alerts(hours: int) -> None:
    """Velocity alerts raised recently."""
    rows = db.session.scalars(select(AbuseAlert).where(
        AbuseAlert.created_at >= utcnow() - timedelta(hours=hours)).order_by(AbuseAlert.id))
    for row in rows:
        click.echo(f"{row.created_at:%Y-%m-%d %H:%M}\t{row.kind}\t{row.scope}\t"
                   f"{row.failures} failed in {row.window_minutes} min")
