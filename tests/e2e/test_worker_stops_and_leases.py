"""Real ``orderfsm worker`` processes: a sleeping handler, SIGTERM, short leases, two workers.

Told by the order of events (the handlers' call log, the outbox, the
worker's lines), never by a stopwatch: a bound on the stop is checked only
as "it ended long before the sleeping handler would have".
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from orderfsm import Engine
from orderfsm.persistence import EffectStatus, InboxStatus
from orderfsm.persistence import inbox as store
from tests.e2e.slow_worker_handlers import calls
from tests.e2e.worker_support import (
    Output,
    outbox,
    shop_with_waiting_webhooks,
    start_worker,
    stopped,
    wait_until,
)
from tests.support.processes import reap

FOREVER_S = 600.0
"""A handler sleeping this long is, for the test, one that hangs."""
STOP_BOUND_S = 30.0
"""SIGTERM must end the worker well within this (grace 1 s), long before FOREVER_S."""


def started(log: Path, suffix: str) -> list[str]:
    return [key for what, key, _ in calls(log) if what == "started" and key.endswith(suffix)]


def done(url: str, key: str) -> bool:
    entry = outbox(url).get(key)
    return entry is not None and entry.status == EffectStatus.DONE.value


def finished_per_key(log: Path) -> Counter[str]:
    return Counter(key for what, key, _ in calls(log) if what == "finished")


def test_sigterm_stops_a_worker_whose_handlers_hang_and_another_delivers_everything_once(
    tmp_path: Path, db_url: str
) -> None:
    url, log = db_url, tmp_path / "calls.log"
    refs = shop_with_waiting_webhooks(url, 3)
    worker = start_worker(url, log, "--grace", "1", "--lease", "30", sleep_s=FOREVER_S)
    try:
        wait_until(lambda: len(started(log, ":send_order_confirmation")) == 3, worker)
        printed = stopped(worker, within_s=STOP_BOUND_S)
    finally:
        reap(worker)

    assert worker.returncode == 0, printed
    assert "worker: stopped (3 effect(s) put back in line)" in printed
    cut_short = {k: e for k, e in outbox(url).items() if k.endswith(":send_order_confirmation")}
    assert sorted(cut_short) == sorted(f"{r}:accepted:send_order_confirmation" for r in refs)
    for entry in cut_short.values():
        # Released: no lease left for another worker to wait out, the attempt counted.
        assert entry.status == EffectStatus.FAILED.value and entry.lease_until is None
        assert entry.attempts == 1 and "interrupted" in (entry.last_error or "")

    again = start_worker(url, log, "--once")
    printed_again, _ = again.communicate(timeout=120)

    assert again.returncode == 0, printed_again
    rows = outbox(url)
    assert {e.status for e in rows.values()} == {EffectStatus.DONE.value}
    assert finished_per_key(log) == Counter(dict.fromkeys(rows, 1))
    with Engine.open(url) as engine:
        assert {e.status for e in store.entries(engine.db)} == {InboxStatus.APPLIED}


def test_a_handler_longer_than_the_lease_runs_once_with_two_workers_polling(
    tmp_path: Path, db_url: str
) -> None:
    url, log = db_url, tmp_path / "calls.log"
    shop_with_waiting_webhooks(url, 0)
    args = ("--lease", "1", "--interval", "0.1")
    workers = [start_worker(url, log, *args, sleep_s=2.5) for _ in range(2)]
    try:
        outputs = [Output(w) for w in workers]
        wait_until(lambda: all(o.has("worker: handlers for") for o in outputs), *workers)
        # Both poll before there is work: whichever claims the slow effect, the
        # other sees it due again as soon as a lease of 1 s is not renewed.
        [ref] = shop_with_waiting_webhooks(url, 1)
        key = f"{ref}:accepted:send_order_confirmation"
        wait_until(lambda: done(url, key), *workers)
        for worker, output in zip(workers, outputs, strict=True):
            stopped(worker, within_s=STOP_BOUND_S, output=output)
    finally:
        for worker in workers:
            reap(worker)

    assert started(log, ":send_order_confirmation") == [key]
    assert outbox(url)[key].attempts == 1
    assert finished_per_key(log)[key] == 1


def test_a_hanging_handler_holds_up_neither_the_inbox_nor_other_effects(tmp_path: Path) -> None:
    url, log = f"sqlite:///{tmp_path / 'shop.db'}", tmp_path / "calls.log"
    [first] = shop_with_waiting_webhooks(url, 1)
    worker = start_worker(url, log, "--grace", "0", "--interval", "0.1", sleep_s=FOREVER_S)
    try:
        wait_until(lambda: started(log, ":send_order_confirmation") != [], worker)
        [second] = shop_with_waiting_webhooks(url, 1, first=2)
        shipment = f"{second}:accepted:request_shipment"
        wait_until(lambda: finished_per_key(log)[shipment] == 1, worker)
        with Engine.open(url) as engine:
            state = engine.show(second).state
        hanging = f"{first}:accepted:send_order_confirmation"
        still_hanging = finished_per_key(log)[hanging] == 0
        printed = stopped(worker, within_s=STOP_BOUND_S)
    finally:
        reap(worker)

    assert state == "accepted" and still_hanging, printed
    assert re.search(rf"Z inbox: event \S+ \(order.accepted\) order {second}: applied", printed)
