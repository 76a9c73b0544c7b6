"""``orderfsm demo``: the main job on embedded SQLite, end to end."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from orderfsm.adapters.handlers import JsonlSink
from orderfsm.cli.apply import outcome_table
from orderfsm.cli.diagram import order_diagram
from orderfsm.diagrams import DiagramError, graph_from_lifecycle, write_diagram
from orderfsm.dispatch import Dispatcher, HandlerRegistry
from orderfsm.engine import Engine
from orderfsm.journal import apply_journal
from orderfsm.samples.demo import demo_journal


@click.command("demo")
@click.option(
    "--out",
    "out_dir",
    default="demo-output",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the demo's database and journal (recreated).",
)
def demo(out_dir: Path) -> None:
    """Drive a realistic batch of orders through the lifecycle on SQLite.

    Accepted, in-review-then-blocked, pending-then-cancelled, 409, 404,
    out-of-order and duplicate deliveries; prints states and effects, and
    delivers the effects to OUT/effects.jsonl as `orderfsm worker --sink` does.

    \b
    Example:
      orderfsm demo --out /tmp/orderfsm-demo
    """
    console = Console()
    out_dir.mkdir(parents=True, exist_ok=True)
    db_file = out_dir / "demo.db"
    for stale in out_dir.glob("demo.db*"):
        stale.unlink()
    journal = out_dir / "journal.jsonl"
    sink = out_dir / "effects.jsonl"
    sink.unlink(missing_ok=True)
    lines = demo_journal()
    journal.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    url = f"sqlite:///{db_file}"
    with Engine.open(url, create_if_empty=True) as engine:
        report = apply_journal(
            engine, ((str(journal), n, json.dumps(line)) for n, line in enumerate(lines, 1))
        )
        registry = HandlerRegistry()
        JsonlSink(sink).register(registry)
        delivered = Dispatcher(engine.db, registry).run_once()
        views = list(engine.orders())
    console.print(f"journal: {journal} ({len(lines)} lines)  database: {url}")
    console.print(outcome_table(report))
    orders = Table(title="orders", title_justify="left")
    for column in ("upstream id", "DR order", "state", "effects"):
        orders.add_column(column)
    effect_counts: Counter[str] = Counter()
    for view in views:
        effect_counts.update(e.type for e in view.effects)
        orders.add_row(
            view.upstream_id,
            view.order_id or "-",
            view.state + (" (disputed)" if view.disputed else ""),
            ", ".join(e.type for e in view.effects) or "-",
        )
    console.print(orders)
    effects = Table(title="effects enqueued", title_justify="left")
    effects.add_column("effect")
    effects.add_column("count", justify="right")
    for name, count in sorted(effect_counts.items()):
        effects.add_row(name, str(count))
    console.print(effects)
    console.print(f"effects delivered: {delivered.done}, one JSON line each, to {sink}")
    try:
        write_diagram(graph_from_lifecycle(), out_dir / "lifecycle.svg")
        pick = next((v for v in views if any(h.outcome != "applied" for h in v.history)), views[0])
        write_diagram(order_diagram(pick), out_dir / f"{pick.upstream_id}.svg")
        console.print(
            f"diagrams: {out_dir / 'lifecycle.svg'}, {out_dir / (pick.upstream_id + '.svg')}"
        )
    except DiagramError as exc:
        console.print(f"[yellow]diagrams skipped: {exc}[/yellow]")
    console.print(f"inspect one: orderfsm show SHOP-0001 --db {url}")
    if not report.ok:
        for problem in report.errors:
            console.print(f"[red]{problem}[/red]")
        raise SystemExit(1)
