"""The collector settings of orderfsm's own commands (orderfsm/heap.py), each in a fresh process.

They change process-wide state (``gc.freeze``, the thresholds), so each test
looks at them from a process of its own, never the test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.workload import write_journal
from orderfsm.heap import BATCH_YOUNG_THRESHOLD
from tests.support.cli import ORDERFSM

_BATCH = """
import gc, json
from orderfsm.heap import collected_rarely
gc.set_threshold(650, 9, 8)
before = (gc.get_threshold(), gc.get_freeze_count())
with collected_rarely():
    inside = (gc.get_threshold(), gc.get_freeze_count())
after = (gc.get_threshold(), gc.get_freeze_count())
print(json.dumps([before, inside, after]))
"""

_APPLY = """
import gc, json, sys
import orderfsm.journal
from orderfsm.cli import main
seen, replaying = [], []
def watch(phase, info):
    if phase == "start" and replaying:
        seen.append([gc.get_threshold()[0], gc.get_freeze_count()])
original = orderfsm.journal.apply_journal
def apply_journal(*args, **kwargs):  # the command's replay loop, watched
    replaying.append(True)
    try:
        return original(*args, **kwargs)
    finally:
        replaying.clear()
orderfsm.journal.apply_journal = apply_journal
gc.callbacks.append(watch)
sys.argv = ["orderfsm", "apply", "--db", sys.argv[1], sys.argv[2]]
try:
    main()
except SystemExit as done:
    assert not done.code, done.code
print(json.dumps({"during": seen, "after": gc.get_threshold()[0]}))
"""


_WORKER = """
import gc, sys
from orderfsm.cli import main
sys.argv = ["orderfsm", "worker", "--db", sys.argv[1], "--once"]
try:
    main()
except SystemExit as done:
    assert not done.code, done.code
print(gc.get_freeze_count())
"""


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_a_batch_runs_with_its_startup_heap_frozen_and_rarer_young_collections() -> None:
    before, inside, after = json.loads(_run(_BATCH))

    assert before == [[650, 9, 8], 0]
    assert inside[0] == [BATCH_YOUNG_THRESHOLD, 9, 8]
    assert inside[1] > 10_000  # pydantic, SQLAlchemy...: what the process imported
    assert after[0] == [650, 9, 8]  # the thresholds come back; the startup heap stays frozen
    assert after[1] > 10_000


def test_orderfsm_apply_replays_under_those_settings_and_restores_the_thresholds(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "day.jsonl"
    write_journal(journal, 300)  # 3,000 lines: enough allocations for several collections
    out = json.loads(_run(_APPLY, f"sqlite:///{tmp_path}/shop.db", str(journal)))

    during = out["during"]
    assert during, out  # the replay allocated enough for collections to run
    assert all(threshold == BATCH_YOUNG_THRESHOLD for threshold, _ in during), during
    assert all(frozen > 10_000 for _, frozen in during), during
    assert out["after"] == 700  # CPython's default again once the command is done


def test_orderfsm_worker_leaves_its_startup_heap_out_of_collections(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shop.db"
    migrated = subprocess.run([ORDERFSM, "db", "upgrade", "--db", url], capture_output=True)
    assert migrated.returncode == 0, migrated.stderr
    frozen = int(_run(_WORKER, url))

    assert frozen > 10_000  # SQLAlchemy, pydantic, the engine...: frozen once the worker started
