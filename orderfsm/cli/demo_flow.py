"""What ``orderfsm demo`` does: the sandbox DR, the receiver, the worker, an outage, diagrams."""

from __future__ import annotations

import json
import secrets
import shlex
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from orderfsm.adapters.digitalriver.api_config import DrApiConfig
from orderfsm.adapters.digitalriver.client import DrClient
from orderfsm.adapters.handlers import DrFulfilmentHandler
from orderfsm.cli.console import DEFAULT_PORT
from orderfsm.cli.demo_delivery import Traffic, deliver_troublemakers
from orderfsm.cli.demo_dr import (
    WEBHOOK_PATH,
    Conversation,
    Receiver,
    outage,
    settle,
    ship,
    submit_all,
)
from orderfsm.cli.demo_explain import (
    explain_dr,
    explain_effects,
    explain_inbox,
    explain_parked,
    explain_worker,
)
from orderfsm.cli.diagram import order_diagram
from orderfsm.cli.logs import log_to_terminal
from orderfsm.cli.text import plain
from orderfsm.cli.worker_handlers import add_sinks
from orderfsm.diagrams import DiagramError, graph_from_lifecycle, write_diagram
from orderfsm.dispatch import HandlerRegistry
from orderfsm.persistence import OrderView
from orderfsm.samples.demo_dr import DEMO_ORDERS
from orderfsm.sandbox import SandboxConfig, sandbox_in_thread
from orderfsm.service import Engine

WEBHOOK_ATTEMPTS = 3
"""DR's retries of one webhook in the demo (test mode: three tries, then it gives up)."""

CONSOLE_URL = f"http://127.0.0.1:{DEFAULT_PORT}/"


def run_demo(out_dir: Path, began: float | None = None) -> None:
    """Run the whole flow into ``out_dir``; print what happened and the time since ``began``."""
    began = time.monotonic() if began is None else began
    log_to_terminal()
    console = Console()
    paths = _fresh_output(out_dir)
    url = f"sqlite:///{paths['db']}"
    secret = "whsec_" + secrets.token_urlsafe(24)
    talk, traffic = Conversation(), Traffic()
    with Engine.open(url, create_if_empty=True) as engine:
        receiver = Receiver(url, secret)
        with receiver.running() as base_url:
            webhook = f"{base_url}{WEBHOOK_PATH}"
            config = SandboxConfig(
                webhook_url=webhook,
                webhook_secret=secret,
                webhook_attempts=WEBHOOK_ATTEMPTS,
                webhook_backoff_s=0.05,
            )
            with sandbox_in_thread(config) as sandbox:
                dr = DrApiConfig(
                    secret_key=sandbox.key,
                    base_url=sandbox.url,
                    backoff_initial_s=0.05,
                    backoff_max_s=0.2,
                    backoff_jitter_s=0.02,
                )
                console.print(plain(f"DR sandbox: {sandbox.url}"))
                console.print(plain(f"receiver: {webhook}"))
                console.print(plain("(both served by uvicorn in this process, SQLite in --out)"))
                with DrClient(dr) as client:
                    registry = HandlerRegistry()
                    DrFulfilmentHandler(client).register(registry)
                    add_sinks(registry, [f"jsonl:{paths['effects']}"])
                    submit_all(engine, client, sandbox, talk)
                    _print_submissions(console, talk)
                    settle(engine, registry, sandbox, talk)
                    ship(engine, during_outage=False)
                    settle(engine, registry, sandbox, talk)
                    outage(engine, client, registry, sandbox, receiver, talk)
                    with httpx.Client(timeout=30) as http:
                        events = list(sandbox.state.events)
                        deliver_troublemakers(http, webhook, secret, events, traffic)
                        settle(engine, registry, sandbox, talk)
                        # What DR holds at the end, as the sandbox's control API tells it.
                        control = f"{sandbox.url}/_sandbox"
                        deliveries = http.get(f"{control}/webhooks").json()["deliveries"]
                        held = http.get(f"{control}/fulfillments").json()["data"]
        paths["fulfillments"].write_text(json.dumps(held, indent=1), encoding="utf-8")
        console.print(plain("receiver: stopped; DR sandbox: stopped"))
        explain_dr(console, talk, deliveries, held, engine)
        _print_troublemakers(console, traffic)
        explain_inbox(console, talk.inbox, talk.reconciled.applied if talk.reconciled else 0)
        explain_parked(console, engine)
        explain_worker(console, engine, talk.effects)
        views = list(engine.orders())
    _print_orders(console, views)
    explain_effects(console, views)
    _draw(console, out_dir, views)
    lines_written = len(paths["effects"].read_text(encoding="utf-8").splitlines())
    console.print(plain(f"effects to the sink: {lines_written} JSON lines in {paths['effects']}"))
    me = runnable_script()
    console.print(plain(f"inspect one: {me} show SHOP-0001 --db {url}"), soft_wrap=True)
    console.print(plain(f"demo took {time.monotonic() - began:.1f} s"))
    console.print(plain(f"open the console: {me} console --db {url}"), soft_wrap=True)
    console.print(plain(f"  then browse {CONSOLE_URL}"))


def runnable_script(argv0: str | None = None) -> str:
    """How to type the running ``orderfsm`` script here: its name when ``PATH`` finds this
    very script, else its path (relative when under the working directory, as
    ``.venv/bin/orderfsm`` after ``make demo``); ``orderfsm`` when not run as a script."""
    script = Path(sys.argv[0] if argv0 is None else argv0)
    if script.name != "orderfsm" or not script.is_file():
        return "orderfsm"
    found = shutil.which("orderfsm")
    if found is not None and Path(found).samefile(script):
        return "orderfsm"
    full = script.absolute()
    try:
        shown = str(full.relative_to(Path.cwd()))
    except ValueError:
        shown = str(full)
    return shlex.quote(shown if "/" in shown else f"./{shown}")


def _fresh_output(out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "db": out_dir / "demo.db",
        "effects": out_dir / "effects.jsonl",
        "fulfillments": out_dir / "dr-fulfillments.json",
        "orders": out_dir / "orders",
    }
    stale = [*out_dir.glob("demo.db*"), paths["effects"], paths["fulfillments"]]
    for path in [*stale, *paths["orders"].glob("*.svg")]:
        path.unlink(missing_ok=True)
    paths["orders"].mkdir(exist_ok=True)
    return paths


def _print_submissions(console: Console, talk: Conversation) -> None:
    table = Table(title="orders submitted to DR (POST /orders)", title_justify="left")
    for column in ("order", "what happens", "DR answer", "state"):
        table.add_column(column)
    for order, result in talk.submitted:
        answer = str(result.status)
        if result.recovered:
            answer += " found by GET"
        if result.posts > 1:
            answer += f", {result.posts} POSTs"
        table.add_row(
            plain(order.upstream_id), plain(order.story), plain(answer), plain(result.state)
        )
    console.print(table)


def _print_troublemakers(console: Console, traffic: Traffic) -> None:
    for answer in traffic.answers:
        if answer.status != 202:
            console.print(plain(f"{answer.what}: {answer.summary}"))
    burst = Counter(a.summary for a in traffic.answers if a.status == 202)
    counts = ", ".join(f"{n} x {summary}" for summary, n in sorted(burst.items()))
    console.print(
        plain(f"the same order.accepted {len(traffic.answers) - 2} times at once: {counts}")
    )


def _print_orders(console: Console, views: list[OrderView]) -> None:
    expected = {o.upstream_id: o.expected.value for o in DEMO_ORDERS}
    orders = Table(title="orders at the end", title_justify="left")
    for column in ("order", "DR order", "state", "expected", "effects"):
        orders.add_column(column)
    effect_counts: Counter[tuple[str, str]] = Counter()
    for view in views:
        effect_counts.update((e.type, e.status) for e in view.effects)
        orders.add_row(
            plain(view.upstream_id),
            plain(view.order_id or "-"),
            plain(view.state + (" (disputed)" if view.disputed else "")),
            plain("yes" if expected.get(view.upstream_id) == view.state else "NO"),
            str(len(view.effects)),
        )
    console.print(orders)
    effects = Table(title="effects", title_justify="left")
    for column in ("effect", "status", "count"):
        effects.add_column(column, justify="right" if column == "count" else "left")
    for (name, status), count in sorted(effect_counts.items()):
        effects.add_row(plain(name), plain(status), str(count))
    console.print(effects)


def _draw(console: Console, out_dir: Path, views: list[OrderView]) -> None:
    try:
        write_diagram(graph_from_lifecycle(), out_dir / "lifecycle.svg")
        for view in views:
            write_diagram(order_diagram(view), out_dir / "orders" / f"{view.upstream_id}.svg")
    except DiagramError as exc:
        console.print(plain(f"diagrams skipped: {exc}", "yellow"))
        return
    drawings = f"{out_dir / 'lifecycle.svg'}, {len(views)} orders in {out_dir / 'orders'}/"
    console.print(plain(f"diagrams: {drawings}"))
