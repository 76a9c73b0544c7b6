"""The collector settings of orderfsm's own commands (orderfsm/heap.py), each in a fresh process.

They change process-wide state (``gc.freeze``, the thresholds) while a
command runs, so each test looks at them from a process of its own, never
the test's; and each checks that the state is as it was once the command
returns (tests run commands in their own process too).
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
import gc, json, sys
import sqlalchemy  # a heap worth freezing
from orderfsm.heap import collected_rarely
gc.set_threshold(int(sys.argv[1]), 9, 8)
if sys.argv[2] == "frozen-before":
    gc.freeze()
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
before = gc.get_threshold()[0]
sys.argv = ["orderfsm", "apply", "--db", sys.argv[1], sys.argv[2]]
try:
    main()
except SystemExit as done:
    assert not done.code, done.code
after = [gc.get_threshold()[0], gc.get_freeze_count()]
print(json.dumps({"before": before, "during": seen, "after": after}))
"""

_WORKER = """
import gc, json, sys
import orderfsm.service.worker as worker
from orderfsm.cli import main
from orderfsm.service.worker_reports import Started
frozen = []
original = worker.run_worker
def run_worker(*args, on_report, **kwargs):  # what the command's reports see
    def report(r):
        on_report(r)
        if isinstance(r, Started):
            frozen.append(gc.get_freeze_count())
    return original(*args, on_report=report, **kwargs)
worker.run_worker = run_worker
sys.argv = ["orderfsm", "worker", "--db", sys.argv[1], "--once"]
try:
    main()
except SystemExit as done:
    assert not done.code, done.code
print(json.dumps({"started": frozen, "after": gc.get_freeze_count()}))
"""


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_a_batch_runs_with_the_heap_frozen_and_rarer_young_collections_then_as_before() -> None:
    before, inside, after = json.loads(_run(_BATCH, "650", "as-is"))

    assert before == [[650, 9, 8], 0]
    assert inside[0] == [BATCH_YOUNG_THRESHOLD, 9, 8]
    assert inside[1] > 10_000  # SQLAlchemy's modules and what they hold
    assert after == [[650, 9, 8], 0]  # thresholds restored, the heap thawed


def test_a_batch_leaves_a_heap_frozen_by_someone_else_and_a_collector_switched_off() -> None:
    before, inside, after = json.loads(_run(_BATCH, "0", "frozen-before"))

    assert before[0] == [0, 9, 8] and before[1] > 10_000
    assert inside[0] == [0, 9, 8]  # off stays off
    assert after[0] == [0, 9, 8]
    assert after[1] == before[1]  # not thawed: the batch did not freeze it


def test_orderfsm_apply_replays_under_those_settings_and_restores_them(tmp_path: Path) -> None:
    journal = tmp_path / "day.jsonl"
    write_journal(journal, 300)  # 3,000 lines: enough allocations for several collections
    out = json.loads(_run(_APPLY, f"sqlite:///{tmp_path}/shop.db", str(journal)))

    during = out["during"]
    assert during, out  # the replay allocated enough for collections to run
    assert all(threshold == BATCH_YOUNG_THRESHOLD for threshold, _ in during), during
    assert all(frozen > 10_000 for _, frozen in during), during
    assert out["before"] != BATCH_YOUNG_THRESHOLD
    assert out["after"] == [out["before"], 0]


def test_orderfsm_worker_freezes_its_startup_heap_once_started_and_thaws_it_on_exit(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/shop.db"
    migrated = subprocess.run([ORDERFSM, "db", "upgrade", "--db", url], capture_output=True)
    assert migrated.returncode == 0, migrated.stderr
    out = json.loads(_run(_WORKER, url))

    [frozen] = out["started"]
    assert frozen > 10_000  # SQLAlchemy, pydantic, the engine...: frozen once the worker started
    assert out["after"] == 0
