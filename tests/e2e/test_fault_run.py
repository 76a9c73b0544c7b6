"""The fault run, small: real receivers and workers SIGKILLed, a private PostgreSQL crashed.

``python -m bench.fault_run`` at a few hundred events (bench/fault_run.py):
two ``orderfsm serve`` and three ``orderfsm worker`` processes take shuffled,
duplicated, concurrent signed deliveries while a seeded schedule SIGKILLs
workers and receivers (each started again at once) and, on PostgreSQL,
crashes the private server once (``pg_ctl stop -m immediate``, then start).
Afterwards every event answered 2xx is stored and applied exactly once,
every order's lifecycle (state, dispute flag, DR ids, effect keys) equals
its history applied alone without faults, every effect was delivered, and
an effect delivered twice is one whose first delivery a SIGKILL cut off
before its done mark.

What is not asserted here: the DR facts (fraud state, charges) of a blocked
order whose charge event overtook ``order.blocked`` differ from the
reference with or without faults; tests/integration/test_fault_traffic.py
pins that convergence bug on its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fault_run import FaultConfig, run
from bench.faults.verdict import Verdict
from bench.pg_cluster import INSTALL_POSTGRES, server_bin_dir
from tests.gates import missing

EVENTS = 200
SECONDS = 6.0
SEED = 7  # its schedule kills workers and receivers both


def _check(config: FaultConfig) -> Verdict:
    said: list[str] = []
    verdict = run(config, say=said.append)
    report = "\n".join(said + verdict.lines())
    assert verdict.worker_kills >= 2 and verdict.receiver_kills >= 1, report
    assert abs(verdict.distinct_events - EVENTS) <= EVENTS // 10, report
    assert verdict.deliveries > verdict.distinct_events, report
    assert verdict.never_answered == 0, report
    assert verdict.lost == [], report
    assert verdict.applied_twice == [], report
    assert verdict.lifecycle_differing == {}, report
    assert verdict.effects_delivered > 0 and verdict.effects_missing == [], report
    assert set(verdict.effects_twice) == set(verdict.effects_twice_after_kill), report
    assert verdict.still_parked == 0, report
    return verdict


@pytest.mark.timeout(240)
def test_sigkilled_receivers_and_workers_on_sqlite_lose_nothing_and_apply_nothing_twice(
    tmp_path: Path,
) -> None:
    _check(FaultConfig("sqlite", EVENTS, SECONDS, SEED, kill_every=1.0, folder=tmp_path))


@pytest.mark.timeout(300)
def test_a_crashed_private_postgresql_and_sigkills_lose_nothing_and_apply_nothing_twice(
    tmp_path: Path,
) -> None:
    if server_bin_dir() is None:
        missing(INSTALL_POSTGRES)
    config = FaultConfig(
        "postgres", EVENTS, SECONDS, SEED, kill_every=1.0, restart_every=SECONDS, folder=tmp_path
    )
    verdict = _check(config)
    assert verdict.db_restarts == 1
