"""``orderfsm worker --reconcile-every``: a real worker process against the sandbox, every
webhook lost, brings orders to DR's state alone; DR outages are one line; stuck orders
are refreshed and the operator told once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from orderfsm import Engine
from orderfsm.sandbox import RunningSandbox
from tests.dr_helpers import requests_seen, sandbox_and_client, set_faults
from tests.e2e.test_reconcile import assert_converged, outbox_keys, submit_orders
from tests.e2e.worker_support import Output
from tests.support.cli import ORDERFSM
from tests.support.processes import reap

WAIT_S = 90.0
STOP_S = 15.0
AGAIN_NOT_NOTIFIED = "1 refreshed from DR, 0 newly notified"
"""A scan's line after the first notice of a stuck order."""


@contextmanager
def worker(sandbox: RunningSandbox, db: str, *args: str) -> Iterator[subprocess.Popen[str]]:
    """``orderfsm worker`` with the sandbox's DR settings; stopped with SIGTERM at the end."""
    env = {
        **os.environ,
        "ORDERFSM_DR_API_URL": sandbox.url,
        "ORDERFSM_DR_API_KEY": sandbox.key,
        "COLUMNS": "200",
    }
    process = subprocess.Popen(
        [ORDERFSM, "worker", "--db", db, "--interval", "0.2", "--grace", "1", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        reap(process)


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    """SIGTERM; the exit code and the output (the worker must exit within STOP_S)."""
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=STOP_S)
    return process.returncode, output


def stop_reading(process: subprocess.Popen[str], printed: Output) -> tuple[int, str]:
    """As :func:`stop`, for a worker whose output ``printed`` reads as it comes."""
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=STOP_S)
    return code, printed.all()


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert process.poll() is None, "the worker ended"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def converged(engine: Engine, sandbox: RunningSandbox) -> bool:
    return all(
        engine.show(order.id).state == order.state for order in sandbox.state.orders.values()
    )


def sink_lines(sink: Path) -> list[dict[str, object]]:
    if not sink.exists():
        return []
    return [json.loads(line) for line in sink.read_text().splitlines()]


def test_the_worker_alone_brings_every_order_to_drs_state_when_every_webhook_is_lost(
    sqlite_url: str, tmp_path: Path
) -> None:
    sink = tmp_path / "effects.jsonl"
    # No webhook URL: not one webhook reaches the platform.
    with (
        Engine.open(sqlite_url, create_if_empty=True) as engine,
        sandbox_and_client() as (sandbox, client),
    ):
        submit_orders(engine, client, 8)
        lagging = [v.upstream_id for v in engine.orders() if v.state != "accepted"]
        with worker(sandbox, sqlite_url, "--reconcile-every", "1s", "--sink", f"jsonl:{sink}") as w:
            wait_for(lambda: converged(engine, sandbox), w)
            keys = outbox_keys(sqlite_url)
            wait_for(lambda: len(sink_lines(sink)) >= len(keys), w)
            code, output = stop(w)
        assert_converged(engine, sandbox)

    assert lagging, "some orders wait for their webhooks"
    assert code == 0, output
    assert "reconcile: fetched" in output
    delivered = Counter(str(line["key"]) for line in sink_lines(sink))
    assert sorted(delivered) == keys and set(delivered.values()) == {1}


def test_a_dr_outage_during_a_periodic_reconcile_is_one_line_and_a_later_period_repairs_it(
    sqlite_url: str,
) -> None:
    with (
        Engine.open(sqlite_url, create_if_empty=True) as engine,
        sandbox_and_client() as (sandbox, client),
    ):
        submit_orders(engine, client, 4)
        # The next 6 API calls answer 500: two reconciles of 3 attempts each fail.
        set_faults(sandbox, "5xx=6")
        with worker(sandbox, sqlite_url, "--reconcile-every", "1s") as w:
            wait_for(lambda: converged(engine, sandbox), w)
            code, output = stop(w)

    failed = [line for line in output.splitlines() if "reconcile failed" in line]
    assert code == 0, output
    assert len(failed) == 2, output
    assert all("DrUnreachable" in line and "trying again in 1s" in line for line in failed)
    assert "Traceback" not in output
    assert "reconcile: fetched" in output


def test_an_order_dr_never_created_is_refreshed_and_the_operator_told_once(
    sqlite_url: str, tmp_path: Path
) -> None:
    sink = tmp_path / "effects.jsonl"
    with (
        Engine.open(sqlite_url, create_if_empty=True) as engine,
        sandbox_and_client() as (sandbox, _client),
    ):
        engine.submit("SHOP-LOST", "chk-never-sent")  # POST /orders never reached DR
        args = ("--reconcile-every", "1s", "--refresh-stuck", "--deadline", "submitted=1s")
        with worker(sandbox, sqlite_url, *args, "--sink", f"jsonl:{sink}") as w:
            printed = Output(w)
            wait_for(lambda: len(sink_lines(sink)) >= 1, w)
            # Two more scans, waited for (a 2.5 s sleep did not always see one
            # on a loaded machine): no second notice.
            wait_for(lambda: printed.text().count(AGAIN_NOT_NOTIFIED) >= 2, w)
            code, output = stop_reading(w, printed)
        state = engine.show("SHOP-LOST").state

    assert code == 0, output
    [notice] = sink_lines(sink)
    assert notice["name"] == "notify_operator_stuck"
    payload = notice["payload"]
    assert isinstance(payload, dict)
    assert (payload["upstreamId"], payload["state"], payload["drOrder"]) == (
        "SHOP-LOST",
        "submitted",
        "not_created",
    )
    assert state == "submitted"
    assert "1 refreshed from DR, 1 newly notified" in output
    assert AGAIN_NOT_NOTIFIED in output


def test_sigterm_stops_the_worker_while_dr_holds_a_periodic_reconcile(sqlite_url: str) -> None:
    with (
        Engine.open(sqlite_url, create_if_empty=True) as engine,
        sandbox_and_client() as (sandbox, client),
    ):
        submit_orders(engine, client, 2)
        # Every call now waits 60 s (Retry-After): longer than the worker may take to stop.
        set_faults(sandbox, "429=1000@60")
        with worker(sandbox, sqlite_url, "--reconcile-every", "1s") as w:
            wait_for(
                lambda: any(r["path"].startswith("/events") for r in requests_seen(sandbox)), w
            )
            code, output = stop(w)  # within STOP_S (15 s), well before DR's 60 s

    assert code == 0, output
    assert "worker: stopped" in output
