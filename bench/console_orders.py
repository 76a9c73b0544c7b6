"""How long the console's orders page takes with many orders (100,000 by default) on SQLite.

The database is filled through the engine's fast path (``Engine.apply_many``,
500 commands a transaction): every order submitted, then DR's ``POST
/orders`` answer for it (accepted, pending payment or in review); the
effects of 1 order in 50 (accepted ones: only they have effects) are then
marked dead. Each page is then fetched from
the console app itself (``console_app`` through httpx's ASGI transport:
routing, gate, queries, templates; no sockets), paired in each repetition
with the baseline: the same page's rows read with ``sqlite3`` alone.

Run::

    .venv/bin/python -m bench.console_orders            # 100,000 orders
    .venv/bin/python -m bench.console_orders --orders 20000 --repeat 3
    .venv/bin/python -m bench.console_orders --keep /tmp/console-100k.db   # fill once
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.harness import Report, ratios, render, timed
from bench.workload import sketch
from orderfsm.commands import Command, CreateOrderResponse, Submit
from orderfsm.console import ConsoleConfig, console_app
from orderfsm.service import Engine

BATCH = 500
STATES = ("accepted", "accepted", "accepted", "pending_payment", "in_review")
DEAD_EVERY = 50
RAW_PAGE = (
    "SELECT id, upstream_id, dr_order_id, checkout_id, state, disputed, updated_at FROM orders"
)


@dataclass(frozen=True, slots=True)
class ConsoleSizes:
    """How big the database is and how often each page is fetched."""

    orders: int = 100_000
    repeat: int = 5
    keep: Path | None = None
    """Fill this file once and reuse it on later runs (the fill takes minutes)."""


def _commands(orders: int, start: datetime) -> Iterator[Command]:
    for n in range(orders):
        o = sketch(n)
        yield Submit(o.upstream_id, o.checkout_id)
        state = STATES[n % len(STATES)]
        yield CreateOrderResponse(o.upstream_id, 201, o.order(state, start))


def fill(path: Path, orders: int) -> float:
    """A SQLite file with ``orders`` orders; returns the seconds the fill took.

    Order ids start at 1 and ``STATES`` repeats every 5 orders, so ids
    ``1, 51, 101...`` are accepted (have effects) and get the dead ones; ids
    ``50, 100...`` are never accepted.
    """
    began = time.perf_counter()
    start = datetime.now(UTC) - timedelta(days=2)
    with Engine.open(f"sqlite:///{path}", create_if_empty=True) as engine:
        batch: list[Command] = []
        for command in _commands(orders, start):
            batch.append(command)
            if len(batch) == BATCH:
                engine.apply_many(batch)
                batch = []
        if batch:
            engine.apply_many(batch)
    with sqlite3.connect(path) as connection:
        marked = connection.execute(
            "UPDATE outbox SET status = 'dead', last_error = 'bench' WHERE order_id % ? = 1",
            (DEAD_EVERY,),
        ).rowcount
    assert marked > 0, "no effect marked dead: the dead-effects page would list nothing"
    return time.perf_counter() - began


PAGES = {
    "first page": ("/", f"{RAW_PAGE} ORDER BY id DESC LIMIT 51", ()),
    "state=pending_payment": (
        "/?state=pending_payment",
        f"{RAW_PAGE} WHERE state = ? ORDER BY id DESC LIMIT 51",
        ("pending_payment",),
    ),
    "stuck": ("/?stuck=1", None, ()),
    "dead effects": ("/?dead=1", None, ()),
    "search by DR order id": (
        "/?q=240000054321",
        f"{RAW_PAGE} WHERE upstream_id = ? OR dr_order_id = ? OR checkout_id = ?",
        ("240000054321",) * 3,
    ),
    "search by checkout id": (
        "/?q=co-00054321",
        f"{RAW_PAGE} WHERE upstream_id = ? OR dr_order_id = ? OR checkout_id = ?",
        ("co-00054321",) * 3,
    ),
}


async def _get(client: httpx.AsyncClient, path: str) -> float:
    began = time.perf_counter()
    answer = await client.get(path)
    took = time.perf_counter() - began
    assert answer.status_code in (200, 303), (path, answer.status_code)
    return took


def console_report(sizes: ConsoleSizes = ConsoleSizes()) -> Report:
    """The orders page's figures (ms) and their ratio to the raw ``sqlite3`` read."""
    report = Report(f"console orders page, SQLite, {sizes.orders:,} orders")
    with tempfile.TemporaryDirectory() as folder:
        path = sizes.keep or Path(folder) / "console.db"
        if path.exists():
            report.notes.append(f"reused {path} (filled by an earlier run)")
        else:
            filled = fill(path, sizes.orders)
            report.notes.append(f"filled {sizes.orders:,} orders with apply_many in {filled:.1f} s")
        with Engine.open(f"sqlite:///{path}") as engine:
            samples = asyncio.run(_measure(engine, path, sizes.repeat))
    for name, (page, raw) in samples.items():
        report.add(f"{name}: GET", "ms", [s * 1000 for s in page])
        if raw:
            report.add(f"{name}: GET / raw sqlite3 page", "x", ratios(page, raw))
    return report


async def _measure(
    engine: Engine, path: Path, repeat: int
) -> dict[str, tuple[list[float], list[float]]]:
    app = console_app(ConsoleConfig(engine))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    samples: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in PAGES}
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        await client.get("/")  # opens the connection pool and compiles the templates
        with sqlite3.connect(path) as raw:
            for _ in range(repeat):
                for name, (url, sql, params) in PAGES.items():
                    samples[name][0].append(await _get(client, url))
                    if sql is not None:
                        samples[name][1].append(
                            timed(lambda s=sql, p=params: raw.execute(s, p).fetchall())
                        )
    return samples


def main(argv: list[str] | None = None) -> int:
    """Print the report."""
    parser = argparse.ArgumentParser(prog="python -m bench.console_orders")
    parser.add_argument("--orders", type=int, default=ConsoleSizes().orders)
    parser.add_argument("--repeat", type=int, default=ConsoleSizes().repeat)
    parser.add_argument("--keep", type=Path, help="fill this SQLite file once, reuse it after")
    args = parser.parse_args(argv)
    print(render(console_report(ConsoleSizes(args.orders, args.repeat, args.keep))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
