"""What ``orderfsm demo`` does: receiver, signed webhooks, worker, effects, diagrams."""

from __future__ import annotations

import json
import secrets
from collections import Counter
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from orderfsm.adapters.http import ReceiverConfig, create_app
from orderfsm.adapters.http.server import serving
from orderfsm.cli.console import DEFAULT_PORT
from orderfsm.cli.demo_delivery import Traffic, deliver_journal, deliver_troublemakers
from orderfsm.cli.demo_explain import (
    explain_effects,
    explain_inbox,
    explain_parked,
    explain_worker,
)
from orderfsm.cli.diagram import order_diagram
from orderfsm.cli.logs import log_to_terminal
from orderfsm.cli.text import plain
from orderfsm.cli.worker import printer
from orderfsm.cli.worker_handlers import build_registry
from orderfsm.diagrams import DiagramError, graph_from_lifecycle, write_diagram
from orderfsm.persistence import OrderView
from orderfsm.samples.demo import SCENARIOS, demo_journal
from orderfsm.service import Engine
from orderfsm.service.worker import WorkerConfig, run_worker
from orderfsm.service.worker_reports import EffectsPassed, InboxPassed

CONSOLE_URL = f"http://127.0.0.1:{DEFAULT_PORT}/"


def run_demo(out_dir: Path) -> None:
    """Run the whole flow into ``out_dir`` and print what happened."""
    log_to_terminal()
    console = Console()
    paths = _fresh_output(out_dir)
    lines = demo_journal()
    paths["journal"].write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    url = f"sqlite:///{paths['db']}"
    secret = "whsec_" + secrets.token_urlsafe(24)
    with Engine.open(url, create_if_empty=True) as engine:
        receiver = create_app(ReceiverConfig(url, secrets=(secret,)))
        with serving(receiver) as base_url, httpx.Client(timeout=30) as client:
            webhook = f"{base_url}/webhooks/digitalriver"
            console.print(plain(f"receiver: {webhook} (uvicorn, in this process)"))
            traffic = deliver_journal(engine, client, webhook, secret, lines)
            deliver_troublemakers(client, webhook, secret, lines, traffic)
        console.print(plain("receiver: stopped"))
        _print_traffic(console, traffic)
        explain_inbox(console, traffic.inbox)
        explain_parked(console, engine)
        console.print(plain(f"worker: inbox, then effects to {paths['effects']} (JSON-lines sink)"))
        _run_worker_once(engine, paths["effects"], console)
        explain_worker(console, engine)
        views = list(engine.orders())
    _print_orders(console, views)
    explain_effects(console, views)
    _draw(console, out_dir, views)
    lines_written = len(paths["effects"].read_text(encoding="utf-8").splitlines())
    console.print(plain(f"effects delivered: {lines_written} JSON lines in {paths['effects']}"))
    console.print(plain(f"inspect one: orderfsm show SHOP-0001 --db {url}"))
    console.print(plain(f"open the console: orderfsm console --db {url}"), soft_wrap=True)
    console.print(plain(f"  then browse {CONSOLE_URL}"))


def _run_worker_once(engine: Engine, sink: Path, console: Console) -> None:
    """What `orderfsm worker --once --sink jsonl:SINK` does, in this process."""
    registry = build_registry([], [f"jsonl:{sink}"])
    show = printer(console)
    run_worker(
        engine,
        registry,
        WorkerConfig(once=True),
        on_report=lambda r: show(r) if isinstance(r, InboxPassed | EffectsPassed) else None,
    )


def _fresh_output(out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "db": out_dir / "demo.db",
        "journal": out_dir / "journal.jsonl",
        "effects": out_dir / "effects.jsonl",
        "orders": out_dir / "orders",
    }
    for stale in [*out_dir.glob("demo.db*"), paths["effects"], *paths["orders"].glob("*.svg")]:
        stale.unlink(missing_ok=True)
    paths["orders"].mkdir(exist_ok=True)
    return paths


def _print_traffic(console: Console, traffic: Traffic) -> None:
    answers = Table(title="deliveries to the receiver", title_justify="left")
    answers.add_column("answer")
    answers.add_column("count", justify="right")
    for summary, count in sorted(Counter(a.summary for a in traffic.answers).items()):
        answers.add_row(plain(summary), str(count))
    console.print(answers)
    for answer in traffic.answers:
        if answer.status != 202:
            console.print(plain(f"  {answer.what}: {answer.status} {json.dumps(answer.body)}"))
    outcomes = Table(title="lifecycle outcomes", title_justify="left")
    outcomes.add_column("outcome")
    outcomes.add_column("platform steps", justify="right")
    outcomes.add_column("webhook events", justify="right")
    for name in sorted(set(traffic.platform) | set(traffic.inbox.outcomes)):
        outcomes.add_row(
            plain(name), str(traffic.platform[name]), str(traffic.inbox.outcomes[name])
        )
    console.print(outcomes)


def _print_orders(console: Console, views: list[OrderView]) -> None:
    orders = Table(title="orders", title_justify="left")
    for column in ("upstream id", "DR order", "state", "effects"):
        orders.add_column(column)
    effect_counts: Counter[tuple[str, str]] = Counter()
    for view in views:
        effect_counts.update((e.type, e.status) for e in view.effects)
        orders.add_row(
            plain(view.upstream_id),
            plain(view.order_id or "-"),
            plain(view.state + (" (disputed)" if view.disputed else "")),
            plain(", ".join(e.type for e in view.effects) or "-"),
        )
    console.print(orders)
    effects = Table(title="effects", title_justify="left")
    for column in ("effect", "status", "count"):
        effects.add_column(column, justify="right" if column == "count" else "left")
    for (name, status), count in sorted(effect_counts.items()):
        effects.add_row(plain(name), plain(status), str(count))
    console.print(effects)


def _draw(console: Console, out_dir: Path, views: list[OrderView]) -> None:
    # The first round has one order per scenario: enough to see every path.
    first_round = {f"SHOP-{n:04d}" for n in range(1, len(SCENARIOS) + 1)}
    drawn = [view for view in views if view.upstream_id in first_round]
    try:
        write_diagram(graph_from_lifecycle(), out_dir / "lifecycle.svg")
        for view in drawn:
            write_diagram(order_diagram(view), out_dir / "orders" / f"{view.upstream_id}.svg")
    except DiagramError as exc:
        console.print(plain(f"diagrams skipped: {exc}", "yellow"))
        return
    drawings = f"{out_dir / 'lifecycle.svg'}, {len(drawn)} orders in {out_dir / 'orders'}/"
    console.print(plain(f"diagrams: {drawings}"))
