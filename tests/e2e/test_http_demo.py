"""``orderfsm demo`` as a new user runs it: the whole flow, a few seconds, nothing left running."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

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


@pytest.mark.requires_dot
def test_the_demo_runs_the_whole_flow_and_leaves_its_results_in_the_output_folder(
    tmp_path: Path,
) -> None:
    out = tmp_path / "demo-output"
    done = subprocess.run(
        [ORDERFSM, "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )

    assert done.returncode == 0, done.stderr
    printed = done.stdout
    assert "receiver: http://127.0.0.1:" in printed and "receiver: stopped" in printed
    assert "202 stored" in printed and "202 duplicate" in printed
    assert (
        'forged order.cancelled: 401 {"error": "signature", "check": "no matching signature"}'
        in (printed)
    )
    assert 'truncated body: 400 {"error": "payload", "detail": "$: not valid JSON' in printed
    for state in ("complete", "blocked", "cancelled", "rejected", "accepted", "pending_payment"):
        assert f" {state} " in printed
    assert (out / "demo.db").exists() and (out / "journal.jsonl").exists()
    delivered = (out / "effects.jsonl").read_text().splitlines()
    assert delivered and f"effects: {len(delivered)} done, 0 retried, 0 dead" in printed
    assert (out / "lifecycle.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert sorted(p.name for p in (out / "orders").glob("*.svg")) == [
        f"SHOP-{n:04d}.svg" for n in range(1, 8)
    ]
    assert "whsec_" not in printed + done.stderr
    receiver = re.search(r"receiver: (http://127\.0\.0\.1:\d+)/", printed)
    assert receiver is not None
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{receiver.group(1)}/healthz")


def test_without_graphviz_the_demo_runs_the_flow_and_says_why_it_drew_nothing(
    tmp_path: Path,
) -> None:
    out = tmp_path / "demo-output"
    done = subprocess.run(
        [ORDERFSM, "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", "PATH": path_without("dot", tmp_path / "bin")},
    )

    assert done.returncode == 0, done.stderr
    printed = done.stdout
    assert "202 stored" in printed and "receiver: stopped" in printed
    delivered = (out / "effects.jsonl").read_text().splitlines()
    assert delivered and f"effects: {len(delivered)} done, 0 retried, 0 dead" in printed
    assert "diagrams skipped: cannot render svg: Graphviz's dot was not found" in printed
    assert not (out / "lifecycle.svg").exists() and not list((out / "orders").glob("*.svg"))


def test_the_demo_stops_everything_it_started(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", HARNESS, ORDERFSM, "demo", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"code": 0, "left": []}
