"""``orderfsm orders``: the orders, oldest update first, to find the ones that are stuck."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click

from orderfsm.cli.existing import refuse_missing_sqlite
from orderfsm.cli.options import db_option
from orderfsm.cli.text import plain

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from rich.table import Table

    from orderfsm.persistence.order_list import OrderSummary

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class DurationType(click.ParamType[timedelta, Any]):
    """A duration written ``30s``, ``15m``, ``2h`` or ``1d``."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        if isinstance(value, timedelta):
            return value
        found = _DURATION.match(str(value))
        if found is None:
            self.fail(f"{value!r} is not a duration (write 30s, 15m, 2h or 1d)", param, ctx)
        return timedelta(seconds=int(found.group(1)) * _UNIT_SECONDS[found.group(2)])


def age_text(age: timedelta) -> str:
    """A short age: ``42s``, ``15m``, ``3h05m``, ``2d04h``."""
    seconds = max(int(age.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{seconds}s"


@click.command("orders")
@db_option
@click.option("--state", help="Only orders in this lifecycle state (e.g. pending_payment).")
@click.option(
    "--older-than",
    "older_than",
    type=DurationType(),
    metavar="AGE",
    help="Only orders not updated for AGE (30s, 15m, 2h, 1d): candidates for stuck.",
)
@click.option("--disputed", is_flag=True, help="Only disputed orders.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list (ISO 8601 UTC times).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.option("--after", metavar="CURSOR", help="Start after this cursor (the next page).")
def orders(
    db_url: str,
    state: str | None,
    older_than: timedelta | None,
    disputed: bool,
    as_json: bool,
    limit: int,
    after: str | None,
) -> None:
    """List orders, oldest update first: state, age and the last signal each saw.

    A full page ends with the cursor of the next one (`--after`). To see why
    an order is stuck, `orderfsm show REF` prints its timeline and effects.

    \b
    Example:
      orderfsm orders --db sqlite:///shop.db --older-than 15m
      orderfsm orders --db sqlite:///shop.db --state pending_payment --json
    """
    # Imported here: `orderfsm orders --help` needs none of the engine's stack.
    import json

    from rich.console import Console

    from orderfsm.fsm.states import OrderState
    from orderfsm.persistence.database import utcnow
    from orderfsm.persistence.order_list import OrderFilter, list_orders
    from orderfsm.service import Engine

    if state is not None and state not in {s.value for s in OrderState}:
        known = ", ".join(s.value for s in OrderState)
        raise click.BadParameter(f"{state!r} is not a state; one of: {known}", param_hint="--state")
    now = utcnow()
    chosen = OrderFilter(
        state=state,
        updated_before=now - older_than if older_than is not None else None,
        disputed=True if disputed else None,
    )
    refuse_missing_sqlite(db_url)
    with Engine.open(db_url) as engine:
        shown = list_orders(engine.db, chosen, limit=limit, after=after, details=True).lines
    if as_json:
        click.echo(json.dumps([summary.to_json(now) for summary in shown], indent=2))
        return
    console = Console()
    if not shown:
        console.print(plain("no orders match" if after is None else "no more orders"))
        return
    console.print(order_table(shown, now))
    if len(shown) == limit:
        console.print(plain(f"next page: --after {shown[-1].cursor}"))


def order_table(shown: Sequence[OrderSummary], now: datetime) -> Table:
    """Orders as a table that wraps (never cuts) ids at 80 columns; values are plain text."""
    from rich.table import Table

    table = Table(title_justify="left")
    table.add_column("order", overflow="fold", ratio=3)
    table.add_column("DR order id", overflow="fold", ratio=2)
    table.add_column("state", overflow="fold", ratio=2)
    table.add_column("age", no_wrap=True)
    table.add_column("last signal", overflow="fold", ratio=3)
    for summary in shown:
        order = plain(summary.upstream_id)
        if summary.disputed:
            order.append(" (disputed)", "bold red")
        last = summary.last_signal or "-"
        if summary.last_outcome:
            last += f" ({summary.last_outcome})"
        table.add_row(
            order,
            plain(summary.dr_order_id or "-"),
            plain(summary.state),
            age_text(now - summary.updated_at),
            plain(last),
        )
    return table
