"""`flask outbox work [--once]` and `flask outbox retry`."""


import click
from sqlalchemy import select

from donate.extensions import db
from donate.outbox import worker
from donate.outbox.models import OutboxMessage, OutboxStatus
from donate.worker_loop import run_until_stopped

outbox_cli = click.Group("outbox", help="The email outbox.")


@outbox_cli.command("work")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--poll", default=2.0, show_default=True, help="Seconds between looks when idle.")
def work(once: bool, poll: float) -> None:
    """Send due emails; runs until stopped (SIGTERM or Ctrl-C finish the message in flight)."""
    tally = run_until_stopped("Outbox worker", once, lambda should_stop: worker.work(
        once=once, poll_seconds=poll, should_stop=should_stop))
    if tally is not None:
        click.echo(f"sent {tally.sent}, kept for the dev mailbox {tally.kept}, "
                   f"failed {tally.failed}")


@outbox_cli.command("retry")
@click.argument("message_ids", nargs=-1, type=int)
@click.option("--dead", "all_dead", is_flag=True, help="Retry every dead message.")
def retry(message_ids: tuple[int, ...], all_dead: bool) -> None:
    """Give dead messages a fresh set of attempts."""
    query = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.DEAD) if all_dead \
        else select(OutboxMessage).where(OutboxMessage.id.in_(message_ids))
    messages = db.session.scalars(query).all()
    for message in messages:
        worker.retry(message)
    click.echo(f"{len(messages)} message(s) queued again.")
