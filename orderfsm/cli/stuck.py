"""``orderfsm stuck``: orders past their state's deadline, with the last word about them."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import click

from orderfsm.cli.existing import refuse_missing_sqlite
from orderfsm.cli.options import db_option
from orderfsm.cli.text import plain

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _read_deadlines(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> dict[str, timedelta]:
    read: dict[str, timedelta] = {}
    for value in values:
        state, _, text = value.partition("=")
        found = _DURATION.match(text.strip())
        if not state or found is None:
            raise click.BadParameter(f"{value!r}: expected STATE=DURATION, e.g. submitted=30m")
        read[state.strip()] = timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
    return read


def _age(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    if days:
        return f"{days}d{hours:02d}h"
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


deadline_option = click.option(
    "--deadline",
    "deadlines",
    multiple=True,
    callback=_read_deadlines,
    metavar="STATE=DURATION",
    help="Override a state's deadline (s, m, h or d); repeat for several states.",
)


def state_deadlines(deadlines: dict[str, timedelta]) -> dict[Any, timedelta]:
    """``--deadline`` values by ``OrderState``; an unknown state is a ConfigurationError."""
    from orderfsm.errors import ConfigurationError
    from orderfsm.fsm.states import OrderState

    known = {state.value: state for state in OrderState}
    for name in deadlines:
        if name not in known:
            raise ConfigurationError(
                f"--deadline: {name!r} is not a state; the states are {', '.join(known)}"
            )
    return {known[name]: wait for name, wait in deadlines.items()}


@click.command("stuck")
@db_option
@deadline_option
@click.option(
    "--notify",
    is_flag=True,
    help="Also enqueue notify_operator_stuck for each, once per order and state "
    "(a worker delivers it).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per stuck order.")
def stuck(db_url: str, deadlines: dict[str, timedelta], notify: bool, as_json: bool) -> None:
    """List orders waiting in a state longer than its deadline.

    The deadlines are the lifecycle table's (submitted 15m, pending_payment
    7d, in_review 72h, accepted 5d). Each line names the order, its state,
    how long it has been there and the last signal recorded. Refresh them
    from DR with `orderfsm refresh --stuck`. With --notify each gets one
    notify_operator_stuck effect in the outbox (a second run adds none).

    \b
    Example:
      orderfsm stuck --db sqlite:///shop.db
      orderfsm stuck --deadline submitted=5m --json
      orderfsm stuck --notify --db sqlite:///shop.db
    """
    from orderfsm.service import Engine
    from orderfsm.service.overdue import notify_overdue
    from orderfsm.service.stuck import stuck_orders

    overrides = state_deadlines(deadlines)
    refuse_missing_sqlite(db_url)
    with Engine.open(db_url) as engine:
        found = list(stuck_orders(engine, deadlines=overrides))
        notified = notify_overdue(engine, found) if notify else None
    if notified is not None:
        # stderr: stdout stays the list (one JSON object per order with --json).
        click.echo(f"notify_operator_stuck: {notified.notified} new of {notified.stuck}", err=True)
    if as_json:
        for order in found:
            click.echo(json.dumps(order.to_json()))
        return
    if not found:
        click.echo("no stuck orders")
        return
    from rich.console import Console

    console = Console()
    for order in found:
        last = order.last_signal or "-"
        console.print(
            plain(
                f"{order.upstream_id}  {order.state.value} for {_age(order.age)} "
                f"(deadline {_age(order.deadline)})  last signal {last}"
            )
        )
