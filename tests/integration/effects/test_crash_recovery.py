"""Dispatcher processes SIGKILLed at random points; after a restart every effect arrives.

Each run copies one outbox (filled by the engine), starts a dispatcher process
that kills itself at its Nth delivery, either before calling the receiver or
after the receiver committed but before the ``done`` mark, then starts a
second one whose clock is past the dead one's leases (in the test's own
process: nothing kills it, and a fresh process would only add a start-up). The seed is printed, so
a failing run can be replayed with ``ORDERFSM_CRASH_SEED``.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa

from orderfsm.dispatch import DispatchConfig
from orderfsm.persistence import EffectStatus
from orderfsm.service import Engine

from .dispatch_child import dispatch
from .support import accept_orders, effects

CHILD = Path(__file__).with_name("dispatch_child.py")
RUNS = 12
ORDERS = 4  # three effects each
PAST_THE_LEASE = DispatchConfig().lease.total_seconds() + 60


@pytest.fixture(scope="module")
def filled_outbox(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    path = tmp_path_factory.mktemp("outbox") / "template.db"
    with Engine.open(f"sqlite:///{path}", create_if_empty=True) as engine:
        keys = accept_orders(engine, ORDERS)
    return path, keys


def copy_database(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def dispatch_process(db: Path, receiver: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHILD), f"sqlite:///{db}", f"sqlite:///{receiver}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def deliveries(receiver: Path) -> list[tuple[str, int]]:
    with closing(sqlite3.connect(receiver)) as connection:
        return list(connection.execute("SELECT key, pid FROM deliveries ORDER BY id"))


@pytest.mark.timeout(180)
def test_dispatchers_killed_at_random_points_deliver_every_effect_once_after_a_restart(
    tmp_path: Path, filled_outbox: tuple[Path, list[str]]
) -> None:
    template, keys = filled_outbox
    seed = int(os.environ.get("ORDERFSM_CRASH_SEED", random.randrange(2**32)))
    print(f"ORDERFSM_CRASH_SEED={seed}")
    rng = random.Random(seed)
    for run in range(RUNS):
        mode = ("before", "after")[run % 2]
        kill_at = rng.randint(1, len(keys))
        batch = rng.randint(1, 5)
        context = f"run {run}: kill {mode} delivery {kill_at}, batch {batch}, seed {seed}"
        db, receiver = tmp_path / f"run{run}.db", tmp_path / f"receiver{run}.db"
        copy_database(template, db)

        killed = dispatch_process(
            db, receiver, f"--kill-{mode}", str(kill_at), "--batch", str(batch)
        )
        restarted = dispatch(
            f"sqlite:///{db}", f"sqlite:///{receiver}", clock_offset=PAST_THE_LEASE
        )

        assert killed.returncode == -signal.SIGKILL, (context, killed.stderr)
        assert restarted.dead == 0 and restarted.done >= 1, (context, restarted)
        seen = deliveries(receiver)
        killed_pid = int(killed.stdout.split("pid=")[1].split()[0])
        # The killed process got exactly as far as told before it died ...
        reached = kill_at if mode == "after" else kill_at - 1
        assert [pid for _, pid in seen].count(killed_pid) == reached, context
        # ... every effect reached the receiver ...
        assert sorted(set(k for k, _ in seen)) == sorted(keys), context
        # ... and only the one cut off between the receiver and the done mark came twice,
        # which the receiver's deduplication by idempotency key absorbs.
        twice = sorted(k for k, n in Counter(k for k, _ in seen).items() if n > 1)
        expected_twice = [seen[kill_at - 1][0]] if mode == "after" else []
        assert twice == expected_twice, context
        with Engine(sa.create_engine(f"sqlite:///{db}")) as engine:
            rows = effects(engine)
        assert {r.status for r in rows.values()} == {EffectStatus.DONE}, context
        assert [r.key for r in rows.values() if r.lease_until is not None] == [], context
