"""A slow effect handler never slows the receiver's 202: the worker is a separate process.

Told by the order of events, not by a stopwatch: the handler leaves a
``started`` marker, stays busy until the test releases it (30 s at most), then
leaves a ``finished`` one. A delivery made after ``started`` must have its 202
before ``finished`` exists; the handler is released only after that answer, so
a receiver waiting on the worker would answer only once the 30 s are over.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from orderfsm import Engine
from orderfsm.persistence import InboxStatus
from orderfsm.persistence import inbox as store
from orderfsm.samples.builders import Item, OrderSketch
from tests.e2e.http_receiver import running_receiver, signed_headers
from tests.e2e.sleepy_handlers import MARKERS_ENV
from tests.support.cli import ORDERFSM
from tests.support.processes import reap

SECRET = "whsec_e2e_slow_handler"
REPO = Path(__file__).parents[2]
WAIT_S = 60.0


def wait_for(path: Path, worker: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not path.exists():
        assert worker.poll() is None, "the worker ended before its handler started"
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.02)


def test_a_delivery_is_answered_202_while_a_sleeping_handler_is_still_busy(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    markers = tmp_path / "markers"
    markers.mkdir()
    o = OrderSketch("dr-slow", "co-slow", "SLOW-1", [Item("it-1", "sku", 1, 5.0, True)])
    now = datetime.now(UTC)
    accepted = o.event("order.accepted", o.order("accepted", now), now)
    later = now + timedelta(minutes=1)
    fulfilled = o.event(
        "order.fulfilled", o.order("fulfilled", later, charge_state="complete"), later
    )
    with Engine.open(url, create_if_empty=True) as engine:
        engine.submit("SLOW-1", "co-slow")

    with running_receiver(url, env={"ORDERFSM_WEBHOOK_SECRETS": SECRET}) as receiver:
        first = json.dumps(accepted).encode()
        assert (
            httpx.post(
                receiver.webhook_url,
                content=first,
                headers=signed_headers(first, SECRET),
                timeout=WAIT_S,
            ).status_code
            == 202
        )
        worker = subprocess.Popen(
            [
                ORDERFSM,
                "worker",
                "--once",
                "--db",
                url,
                "--handlers",
                "tests.e2e.sleepy_handlers:register",
            ],
            cwd=REPO,
            env={**os.environ, MARKERS_ENV: str(markers)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_for(markers / "started", worker)
            second = json.dumps(fulfilled).encode()
            answer = httpx.post(
                receiver.webhook_url,
                content=second,
                headers=signed_headers(second, SECRET),
                timeout=WAIT_S,
            )
            finished_before_the_answer = (markers / "finished").exists()
            (markers / "release").touch()
            printed, _ = worker.communicate(timeout=WAIT_S)
        finally:
            reap(worker)

    assert (answer.status_code, answer.json()["status"]) == (202, "stored")
    assert not finished_before_the_answer
    assert worker.returncode == 0, printed
    assert (markers / "finished").read_text() == "SLOW-1:accepted:send_order_confirmation"
    with Engine.open(url) as engine:
        waiting = store.find_entry(engine.db, fulfilled["id"])
        assert engine.show("SLOW-1").state == "accepted"
    # The worker's round had applied the inbox before it began the effects.
    assert waiting is not None and waiting.status is InboxStatus.RECEIVED
