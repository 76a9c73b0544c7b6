"""Several dispatcher processes over one PostgreSQL outbox share the work; each effect once."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from orderfsm.dispatch import DispatchConfig, Dispatcher, Effect, HandlerRegistry
from orderfsm.fsm.effects import EffectName
from orderfsm.persistence import EffectStatus
from orderfsm.persistence.outbox import claim_due
from orderfsm.service import Engine
from tests.support.engines import engine_on_postgres  # noqa: F401  (the ``engine`` fixture)
from tests.support.processes import reap

from .dispatch_child import RECEIVER
from .support import accept, accept_orders, clock_after_now, effects, sketch

CHILD_COMMAND = (sys.executable, str(Path(__file__).with_name("dispatch_child.py")))
CHILD_OPTIONS = ("--batch", "2", "--work", "0.01", "--wait-for-go")
PROCESSES = 3
ORDERS = 30  # 90 effects


@pytest.mark.timeout(120)
def test_several_dispatcher_processes_handle_each_effect_once_and_leave_no_row_stuck(
    engine: Engine, pg_schema_url: str
) -> None:
    keys = accept_orders(engine, ORDERS)
    # The children record deliveries in this table; created here, once: three
    # processes running CREATE TABLE at once on PostgreSQL can collide in its
    # catalog (pg_type / pg_class unique violation), and the loser died before "ready".
    RECEIVER.create_all(engine.db)
    children = [
        subprocess.Popen(
            [*CHILD_COMMAND, pg_schema_url, pg_schema_url, *CHILD_OPTIONS],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for child in children:  # every process is up before any starts claiming
            assert child.stdout is not None
            assert child.stdout.readline().startswith("pid=")
            if child.stdout.readline().strip() != "ready":  # it died: say why
                pytest.fail(f"a dispatcher child did not start: {child.communicate(timeout=30)}")
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=90) for child in children]
    finally:
        for child in children:
            reap(child)

    assert [child.returncode for child in children] == [0] * PROCESSES, outputs
    with engine.db.connect() as connection:
        seen = list(connection.execute(sa.text("SELECT key, pid FROM deliveries")))
    per_key = Counter(key for key, _ in seen)
    assert sorted(per_key) == sorted(keys)
    assert set(per_key.values()) == {1}  # no effect handled twice
    assert len({pid for _, pid in seen}) >= 2  # the work really was shared
    rows = effects(engine).values()
    assert {(r.status, r.attempts, r.lease_until) for r in rows} == {(EffectStatus.DONE, 1, None)}


def test_a_claimed_row_is_skipped_by_another_dispatcher_on_postgresql(engine: Engine) -> None:
    accept(engine, sketch(1, physical=(True,)))
    clock = clock_after_now()
    seen: list[Effect[Any]] = []
    registry = HandlerRegistry({name: seen.append for name in EffectName})
    with engine.db.connect() as holder, holder.begin():
        # A dispatcher in the middle of its claim transaction holds the row locked.
        [held] = claim_due(
            holder,
            effects=[EffectName.REQUEST_SHIPMENT.value],
            now=clock.now,
            lease_until=clock.now + timedelta(minutes=5),
            limit=1,
        )
        report = Dispatcher(engine.db, registry, DispatchConfig(), clock).run_once()

    assert held.key == "UP1:accepted:request_shipment"
    assert report.done == 1
    assert [e.name for e in seen] == [EffectName.SEND_ORDER_CONFIRMATION]
    assert effects(engine)[held.key].status == EffectStatus.PENDING
