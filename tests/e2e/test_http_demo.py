"""``orderfsm demo`` as a new user runs it: the loop against the sandbox DR, nothing left over.

The end states are read from the demo's database, the effects from its
outbox and JSON-lines sink, and what DR holds from the file the demo wrote
from the sandbox's control API (``GET /_sandbox/fulfillments``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest

from orderfsm import Engine
from orderfsm.persistence import inbox as store
from orderfsm.samples.demo_dr import DEMO_ORDERS
from orderfsm.service.stuck import stuck_orders
from tests.gates import path_without
from tests.support.cli import ORDERFSM

# Runs the demo as a child subreaper: anything the demo leaves running is
# re-parented to this harness instead of init, so it can be seen and counted.
HARNESS = """
import ctypes, json, os, subprocess, sys, time
PR_SET_CHILD_SUBREAPER = 36
assert ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
time.sleep(0.5)
me = str(os.getpid())
left = [p for p in os.listdir("/proc") if p.isdigit()
        and open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[1] == me]
print(json.dumps({"code": code, "left": left}))
"""


def run_demo(out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``orderfsm demo`` as ``make demo`` runs it: from the folder above ``out``, by its name."""
    return subprocess.run(
        [ORDERFSM, "demo", "--out", out.name],
        cwd=out.parent,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "COLUMNS": "80", **env},
    )


def check_end_states(out: Path) -> None:
    """Every order where its story says, each effect once, DR holding what was shipped."""
    with Engine.open(f"sqlite:///{out / 'demo.db'}") as engine:
        views = {view.upstream_id: view for view in engine.orders()}
        with engine.db.connect() as connection:
            backlog = store.backlog(connection)
        stuck = list(stuck_orders(engine))
    assert {k: v.state for k, v in views.items()} == {
        o.upstream_id: o.expected.value for o in DEMO_ORDERS
    }
    effects = [e for view in views.values() for e in view.effects]
    assert effects and {e.status for e in effects} == {"done"}
    assert all(e.attempts == 1 for e in effects), [(e.key, e.attempts) for e in effects]
    keys = [e.key for e in effects]
    assert len(keys) == len(set(keys))
    sunk = [json.loads(line)["key"] for line in (out / "effects.jsonl").read_text().splitlines()]
    reported = [e.key for e in effects if e.type == "report_fulfillment"]
    assert sorted(sunk) == sorted(set(keys) - set(reported))
    assert backlog.inbox["received"] == 0 and backlog.inbox["dead"] == 0
    assert stuck == []
    # What DR holds, item by item, equals what the shop shipped and cancelled.
    held: Counter[tuple[str, str]] = Counter()
    fulfilments = json.loads((out / "dr-fulfillments.json").read_text())
    for fulfilment in fulfilments:
        for line in fulfilment["items"]:
            held[(line["itemId"], "fulfilled")] += line["quantity"]
            held[(line["itemId"], "cancelled")] += line["cancelQuantity"]
    shipped: Counter[tuple[str, str]] = Counter()
    for view in views.values():
        for item in view.items:
            shipped[(item.item_id, "fulfilled")] += item.fulfilled
            shipped[(item.item_id, "cancelled")] += item.cancelled
    assert +held == +shipped and len(fulfilments) == len(reported)
    # SHOP-0001 went out in two parts: DR holds two fulfilments for it.
    assert [f["orderId"] for f in fulfilments].count(views["SHOP-0001"].order_id) == 2


@pytest.mark.requires_dot
def test_the_demo_runs_the_whole_loop_against_the_sandbox_and_every_order_ends_right(
    tmp_path: Path,
) -> None:
    out = tmp_path / "demo-output"
    done = run_demo(out)

    assert done.returncode == 0, done.stderr
    printed = done.stdout
    assert "DR sandbox: http://127.0.0.1:" in printed and "receiver: stopped" in printed
    assert "forged order.cancelled: 401 signature: no matching signature" in printed
    assert "truncated body: 400 payload: $: not valid JSON" in printed
    check_end_states(out)
    assert (out / "lifecycle.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert sorted(p.name for p in (out / "orders").glob("*.svg")) == [
        f"{o.upstream_id}.svg" for o in DEMO_ORDERS
    ]
    assert "whsec_" not in printed + done.stderr
    # The commands it prints start with the script as it can be typed here
    # (a path when no PATH finds it, as in this test): the demo's own text fits
    # 80 columns with the script written as ``orderfsm``.
    script = re.search(r"inspect one: (\S+) show ", printed)
    assert script is not None, printed
    laid_out = printed.replace(f"{script.group(1)} ", "orderfsm ")
    assert all(len(line) <= 80 for line in laid_out.splitlines()), printed
    for url in re.findall(r"(?:DR sandbox|receiver): (http://127\.0\.0\.1:\d+)", printed):
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/healthz")


def test_without_graphviz_the_demo_runs_the_loop_and_says_why_it_drew_nothing(
    tmp_path: Path,
) -> None:
    out = tmp_path / "demo-output"
    done = run_demo(out, PATH=path_without("dot", tmp_path / "bin"))

    assert done.returncode == 0, done.stderr
    assert "diagrams skipped: cannot render svg: Graphviz's dot was not found" in done.stdout
    assert not (out / "lifecycle.svg").exists() and not list((out / "orders").glob("*.svg"))
    check_end_states(out)


def test_the_demo_stops_everything_it_started(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", HARNESS, ORDERFSM, "demo", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"code": 0, "left": []}
