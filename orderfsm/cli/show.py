"""``orderfsm show``: one order, its timeline and its effects."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from orderfsm.cli.options import db_option
from orderfsm.cli.text import joined, plain

if TYPE_CHECKING:
    from rich.console import Console

    from orderfsm.persistence import OrderView

OUTCOME_STYLE = {
    "applied": "green",
    "duplicate": "dim",
    "stale": "yellow",
    "terminal": "magenta",
    "refused": "red",
    "parked": "cyan",
}


@click.command("show")
@click.argument("ref")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (fixed shape).")
def show(ref: str, db_url: str, as_json: bool) -> None:
    """Show the order REF (upstream id, DR order id or checkout id).

    \b
    Example:
      orderfsm show SHOP-0001 --db sqlite:///shop.db
      orderfsm show 240000000001 --db sqlite:///shop.db --json
    """
    # Imported here: `orderfsm show --help` needs none of the engine's stack.
    import json

    from rich.console import Console

    from orderfsm.service import Engine

    with Engine.open(db_url) as engine:
        view = engine.show(ref)
    if as_json:
        click.echo(json.dumps(view.to_json(), indent=2, default=str))
        return
    render_order(view, Console())


def render_order(view: OrderView, console: Console) -> None:
    """A readable summary and timeline of one order (every value printed as plain text)."""
    from rich.table import Table

    console.print(
        joined(
            plain(view.upstream_id, "bold"),
            "  DR order ",
            plain(view.order_id or "-"),
            "  checkout ",
            plain(view.checkout_id or "-"),
        )
    )
    charges = ", ".join(f"{c.get('id')}={c.get('state')}" for c in view.charges) or "-"
    console.print(
        joined(
            "state ",
            plain(view.state, "bold"),
            (" (disputed)", "bold red") if view.disputed else "",
            "  fraud ",
            plain(view.fraud_state or "-"),
            "  charges ",
            plain(charges),
        )
    )
    timeline = Table(title="timeline", title_justify="left")
    # DR's own time beside ours shows out-of-order deliveries at a glance.
    for column in ("#", "recorded", "DR time", "signal", "trigger", "move", "outcome", "reason"):
        timeline.add_column(column)
    for number, entry in enumerate(view.history, start=1):
        move = f"{entry.from_state or '-'} -> {entry.to_state or '-'}"
        timeline.add_row(
            str(number),
            entry.recorded_at.strftime("%H:%M:%S"),
            entry.dr_time.strftime("%m-%d %H:%M:%S") if entry.dr_time else "-",
            plain(entry.event_type or entry.origin),
            plain(entry.trigger),
            plain(move),
            plain(entry.outcome, OUTCOME_STYLE.get(entry.outcome, "")),
            plain(entry.reason or ""),
        )
    console.print(timeline)
    effects = Table(title="effects", title_justify="left")
    for column in ("effect", "status", "attempts", "idempotency key"):
        effects.add_column(column)
    for effect in view.effects:
        effects.add_row(
            plain(effect.type), plain(effect.status), str(effect.attempts), plain(effect.key)
        )
    console.print(effects)
