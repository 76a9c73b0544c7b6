"""``orderfsm parked``: DR events waiting for an order the engine does not know yet."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from orderfsm.cli.existing import refuse_missing_sqlite
from orderfsm.cli.options import db_option
from orderfsm.cli.text import plain

if TYPE_CHECKING:
    from datetime import datetime

    from rich.table import Table

    from orderfsm.persistence.records import ParkedSignal


def waits_for(parked: ParkedSignal) -> str:
    """The ids a parked event waits under, e.g. ``DR order 2400..., checkout co-1``."""
    refs = parked.refs
    named = (
        ("DR order", refs.dr_order_id),
        ("checkout", refs.checkout_id),
        ("upstream", refs.upstream_id),
    )
    return ", ".join(f"{label} {value}" for label, value in named if value) or "-"


def parked_json(parked: ParkedSignal, now: datetime) -> dict[str, Any]:
    """The fixed ``parked --json`` shape of one event (ISO 8601 UTC times)."""
    from orderfsm.persistence.database import to_db_time

    since = to_db_time(parked.parked_at) or parked.parked_at
    dr_time = to_db_time(parked.dr_time)
    return {
        "eventId": parked.event_id,
        "eventType": parked.event_type,
        "waitsFor": {
            "orderId": parked.refs.dr_order_id,
            "checkoutId": parked.refs.checkout_id,
            "upstreamId": parked.refs.upstream_id,
        },
        "parkedAt": since.isoformat(),
        "waitingSeconds": int((now - since).total_seconds()),
        "drTime": dr_time.isoformat() if dr_time else None,
    }


@click.command("parked")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list (ISO 8601 UTC times).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
def parked(db_url: str, as_json: bool, limit: int) -> None:
    """List events waiting for an unknown order: what each waits for, and since when.

    DR may deliver an order's events before `POST /orders` answered (or for
    an order this platform never submitted). Such an event is parked under the
    ids it names and applied as soon as an order with one of them is known.

    \b
    Example:
      orderfsm parked --db sqlite:///shop.db
      orderfsm parked --db sqlite:///shop.db --json
    """
    # Imported here: `orderfsm parked --help` needs none of the engine's stack.
    import json

    from rich.console import Console

    from orderfsm.persistence.database import utcnow
    from orderfsm.persistence.parked_list import count_parked, list_parked
    from orderfsm.service import Engine

    now = utcnow()
    refuse_missing_sqlite(db_url)
    with Engine.open(db_url) as engine:
        shown = list_parked(engine.db, limit=limit)
        total = count_parked(engine.db)
    if as_json:
        click.echo(json.dumps([parked_json(event, now) for event in shown], indent=2))
        return
    console = Console()
    console.print(plain(f"parked: {total} event{'s' if total != 1 else ''} waiting for an order"))
    if shown:
        console.print(parked_table(shown, now))


def parked_table(shown: list[ParkedSignal], now: datetime) -> Table:
    """Parked events as a table that wraps (never cuts) at 80 columns; values plain text."""
    from rich import box
    from rich.table import Table

    from orderfsm.cli.orders import age_text
    from orderfsm.persistence.database import to_db_time

    table = Table(title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("event id", overflow="fold", ratio=3)
    table.add_column("type", overflow="fold", ratio=2)
    table.add_column("waits for", overflow="fold", ratio=3)
    table.add_column("parked (UTC)", no_wrap=True, min_width=10)
    table.add_column("for", no_wrap=True)
    for event in shown:
        since = to_db_time(event.parked_at) or event.parked_at
        table.add_row(
            plain(event.event_id),
            plain(event.event_type),
            plain(waits_for(event)),
            since.strftime("%Y-%m-%d\n%H:%M:%S"),
            age_text(now - since),
        )
    return table
