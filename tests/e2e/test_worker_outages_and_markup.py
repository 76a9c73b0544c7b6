"""The real ``orderfsm worker`` through a database it cannot open, and ids that look like markup."""

from __future__ import annotations

import ctypes
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orderfsm import Engine
from orderfsm.samples.builders import Item, OrderSketch
from tests.e2e.slow_worker_handlers import calls
from tests.e2e.worker_support import (
    Output,
    shop_with_waiting_webhooks,
    start_worker,
    stopped,
    store_webhook,
    wait_until,
)
from tests.support.processes import reap

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def without_permission_override() -> None:
    """In the worker's process, before exec: file modes bind it even when it runs as root."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def test_a_worker_waits_for_a_database_folder_made_unreadable_and_recovers_unrestarted(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    url, log = f"sqlite:///{folder / 'shop.db'}", tmp_path / "calls.log"
    refs = shop_with_waiting_webhooks(url, 2)
    folder.chmod(0o000)
    try:
        worker = start_worker(url, log, "--interval", "0.1", preexec_fn=without_permission_override)
        output = Output(worker)
        wait_until(lambda: output.text().count("pass failed") >= 3, worker)
        assert calls(log) == []
    finally:
        folder.chmod(0o755)
    try:
        wait_until(lambda: len([c for c in calls(log) if c[0] == "finished"]) == 4, worker)
        printed = stopped(worker, within_s=30, output=output)
    finally:
        reap(worker)

    assert worker.returncode == 0, printed
    failed = re.findall(
        rf"^{STAMP} worker: inbox pass failed \((\d+) in a row\), "
        r"retrying in ([\d.]+)s: (.*)$",
        printed,
        flags=re.M,
    )
    assert [int(n) for n, _, _ in failed[:3]] == [1, 2, 3]
    assert all(float(wait) <= 30 for _, wait, _ in failed)
    assert "unable to open database file" in failed[0][2]
    assert re.search(rf"^{STAMP} worker: inbox works again after \d+ failed pass", printed, re.M)
    for ref in refs:
        assert re.search(
            rf"^{STAMP} inbox: event \S+ \(order.accepted\) order {ref}: applied$", printed, re.M
        )


@pytest.mark.parametrize("event_id", ["evt-[/x]-1", "evt-[bold]-[/bold]-\\-2", "[link=x]evt"])
def test_ids_that_look_like_markup_are_printed_as_they_are(tmp_path: Path, event_id: str) -> None:
    url, log = f"sqlite:///{tmp_path / 'shop.db'}", tmp_path / "calls.log"
    shop_with_waiting_webhooks(url, 0)
    now = datetime.now(UTC)
    o = OrderSketch("dr-m", "co-m", "SHOP-[/red]", [Item("it-m", "sku", 1, 5.0, True)])
    with Engine.open(url) as engine:
        engine.submit(o.upstream_id, o.checkout_id)
        event = o.event("order.accepted", o.order("accepted", now, fraud_state="passed"), now)
        store_webhook(engine, {**event, "id": event_id})
        broken = {"id": f"{event_id}-broken", "type": "order.accepted", "data": {"object": {}}}
        store_webhook(engine, broken)

    done = start_worker(url, log, "--once")
    printed, _ = done.communicate(timeout=120)

    assert done.returncode == 0, printed
    assert "Traceback" not in printed
    assert f"inbox: event {event_id} (order.accepted) order SHOP-[/red]: applied" in printed
    assert f"inbox: event {event_id}-broken (order.accepted) order -: dead" in printed
    assert "effect SHOP-[/red]:accepted:send_order_confirmation order SHOP-[/red]" in printed
