"""``orderfsm show``: one order, its timeline and its effects."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from orderfsm.cli.existing import refuse_missing_sqlite
from orderfsm.cli.options import db_option
from orderfsm.cli.text import joined, plain

if TYPE_CHECKING:
    from rich.console import Console

    from orderfsm.persistence import EffectEntry, OrderView

OUTCOME_STYLE = {
    "applied": "green",
    "duplicate": "dim",
    "stale": "yellow",
    "terminal": "magenta",
    "refused": "red",
    "parked": "cyan",
}
EFFECT_STYLE = {"pending": "cyan", "failed": "yellow", "done": "green", "dead": "bold red"}
WAITING = ("pending", "failed")
"""Effect statuses that have a next attempt."""


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

    refuse_missing_sqlite(db_url)
    with Engine.open(db_url) as engine:
        view = engine.show(ref)
    if as_json:
        click.echo(json.dumps(view.to_json(), indent=2, default=str))
        return
    render_order(view, Console())


def render_order(view: OrderView, console: Console) -> None:
    """A readable summary, timeline and effects of one order; wraps (never cuts) at 80 columns."""
    from rich import box
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
    timeline = Table(title="timeline (UTC)", title_justify="left", box=box.SIMPLE_HEAD)
    # DR's own time beside ours shows out-of-order deliveries at a glance.
    timeline.add_column("#", no_wrap=True)
    timeline.add_column("recorded", no_wrap=True, min_width=10)
    timeline.add_column("DR time", no_wrap=True, min_width=10)
    timeline.add_column("signal / trigger", overflow="fold", ratio=3)
    timeline.add_column("move", overflow="fold", ratio=3)
    timeline.add_column("outcome / reason", overflow="fold", ratio=4)
    for number, entry in enumerate(view.history, start=1):
        outcome = plain(entry.outcome, OUTCOME_STYLE.get(entry.outcome, ""))
        if entry.reason:
            outcome.append(": ")
            outcome.append(plain(entry.reason))
        timeline.add_row(
            str(number),
            dated(entry.recorded_at),
            dated(entry.dr_time),
            joined(plain(entry.event_type or entry.origin), "\n", plain(entry.trigger, "dim")),
            joined(plain(entry.from_state or "-"), "\n-> ", plain(entry.to_state or "-")),
            outcome,
        )
    console.print(timeline)
    effects = Table(title="effects (UTC)", title_justify="left", box=box.SIMPLE_HEAD)
    effects.add_column("effect", overflow="fold", ratio=3)
    effects.add_column("status", overflow="fold", ratio=2)
    effects.add_column("tries", no_wrap=True)
    effects.add_column("next attempt", no_wrap=True, min_width=10)
    effects.add_column("last error", overflow="fold", ratio=4)
    for effect in view.effects:
        effects.add_row(
            plain(effect.type),
            plain(effect_status(effect), EFFECT_STYLE.get(effect.status, "")),
            str(effect.attempts),
            dated(effect.next_attempt_at) if effect.status in WAITING else "",
            plain("" if effect.no_handler else effect.last_error or ""),
        )
    console.print(effects)
    for effect in view.effects:
        console.print(joined("  key ", plain(effect.key)), overflow="fold")


def dated(moment: datetime | None) -> str:
    """A UTC time as two lines, date over time (``-`` when unknown)."""
    if moment is None:
        return "-"
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.strftime("%Y-%m-%d\n%H:%M:%S")


def effect_status(effect: EffectEntry) -> str:
    """The status, marked for a pending effect no dispatcher has claimed yet.

    "no handler": a worker looked and has no handler registered for it (the
    dispatcher notes it on the row without counting an attempt); "never
    attempted": no worker has looked yet. Both apart from a backlog being retried.
    """
    if effect.no_handler:
        return "no handler"
    if effect.never_attempted:
        return "pending, never attempted"
    return effect.status
