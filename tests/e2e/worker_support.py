"""Shops with stored webhooks waiting for a worker, and real ``orderfsm worker`` processes."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from orderfsm import Engine
from orderfsm.persistence import inbox as store
from orderfsm.persistence.outbox import OutboxEntry, list_effects
from orderfsm.samples.builders import Item, OrderSketch
from tests.e2e.slow_worker_handlers import EFFECT_ENV, LOG_ENV, SLEEP_ENV
from tests.support.cli import ORDERFSM
from tests.support.processes import reap

REPO = Path(__file__).parents[2]
WAIT_S = 60.0
HANDLERS = "tests.e2e.slow_worker_handlers:register"


def shop_with_waiting_webhooks(url: str, orders: int, *, first: int = 1) -> list[str]:
    """``orders`` submitted orders whose ``order.accepted`` sits in the inbox; their refs."""
    now = datetime.now(UTC)
    refs = []
    with Engine.open(url, create_if_empty=True) as engine:
        for n in range(first, first + orders):
            o = OrderSketch(
                f"dr-{n}", f"co-{n}", f"SHOP-{n}", [Item(f"it-{n}", "sku", 1, 5.0, True)]
            )
            engine.submit(o.upstream_id, o.checkout_id)
            event = o.event("order.accepted", o.order("accepted", now, fraud_state="passed"), now)
            store_webhook(engine, event)
            refs.append(o.upstream_id)
    return refs


def store_webhook(engine: Engine, event: dict[str, object], *, event_id: str | None = None) -> None:
    """What the receiver does with a signed delivery: keep it in the inbox."""
    stored = store.store_event(
        engine.db,
        event_id=event_id or str(event["id"]),
        event_type=str(event["type"]),
        body=json.dumps(event),
        now=datetime.now(UTC),
    )
    assert stored


def outbox(url: str) -> dict[str, OutboxEntry]:
    """Every outbox row by key."""
    with Engine.open(url) as engine, engine.db.connect() as connection:
        return {e.key: e for e in list_effects(connection)}


def start_worker(
    url: str,
    log: Path,
    *args: str,
    sleep_s: float = 0.0,
    slow: str | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.Popen[str]:
    """``orderfsm worker --db URL --handlers slow_worker_handlers ...ARGS`` in its own process."""
    env = {**os.environ, LOG_ENV: str(log), SLEEP_ENV: str(sleep_s), "COLUMNS": "200"}
    if slow:
        env[EFFECT_ENV] = slow
    return subprocess.Popen(
        [ORDERFSM, "worker", "--db", url, "--handlers", HANDLERS, *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=preexec_fn,
    )


def wait_until(condition: Callable[[], bool], *workers: subprocess.Popen[str]) -> None:
    """Poll ``condition`` until it holds; fail if a worker ends first or after ``WAIT_S``."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        for worker in workers:
            assert worker.poll() is None, f"the worker ended early: {worker.communicate()[0]}"
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)


def stopped(worker: subprocess.Popen[str], *, within_s: float, output: Output | None = None) -> str:
    """SIGTERM ``worker``; its output once it ended (killed, and failing, after ``within_s``).

    With ``output`` (a reader already on its stdout), that reader's lines.
    """
    worker.terminate()
    try:
        if output is None:
            printed, _ = worker.communicate(timeout=within_s)
        else:
            worker.wait(timeout=within_s)
            printed = output.all()
    except subprocess.TimeoutExpired:
        reap(worker)
        raise AssertionError(f"the worker outlived SIGTERM by {within_s}s") from None
    return printed


class Output:
    """A worker's output lines as they come (read in a thread, so a test can poll them)."""

    def __init__(self, worker: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert worker.stdout is not None
        self._stream = stream = worker.stdout
        self._reader = threading.Thread(target=lambda: self.lines.extend(stream), daemon=True)
        self._reader.start()

    def has(self, text: str) -> bool:
        """Whether a line so far contains ``text``."""
        return any(text in line for line in list(self.lines))

    def text(self) -> str:
        """Everything read so far."""
        return "".join(list(self.lines))

    def all(self) -> str:
        """Everything, once the worker has ended."""
        self._reader.join(WAIT_S)
        self._stream.close()
        return self.text()
