"""The shell both worker commands (`outbox work`, `events work`) run their loop in."""

import signal
from collections.abc import Callable
from typing import TypeVar

import click

Result = TypeVar("Result")


def run_until_stopped(label: str, once: bool,
                      work: Callable[[Callable[[], bool]], Result]) -> Result | None:
    """Run `work(should_stop)` until it returns; SIGTERM asks it to finish what is in flight
    and stop, Ctrl-C stops at once (None)."""
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    click.echo(f"{label} started" + (" (draining once)" if once else ""))
    try:
        return work(lambda: bool(stopping))
    except KeyboardInterrupt:
        return None
