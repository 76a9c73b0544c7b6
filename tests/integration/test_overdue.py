"""notify_operator_stuck: one notice per order, state and stay, through the outbox."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest

from orderfsm import Effect, Engine, HandlerRegistry, Upkeep, UpkeepConfig, WorkerConfig, run_worker
from orderfsm.dispatch import PAYLOAD_TYPES
from orderfsm.effects import OrderStuck
from orderfsm.errors import ConfigurationError
from orderfsm.fsm.effects import EffectName
from orderfsm.fsm.lifecycle import LIFECYCLE
from orderfsm.fsm.states import OrderState
from orderfsm.persistence.database import utcnow
from orderfsm.service.overdue import notify_overdue
from orderfsm.service.stuck import stuck_orders
from orderfsm.service.worker_reports import WorkerReport, describe
from tests.integration.effects.support import sketch
from tests.support.cli import run_orderfsm

STUCK = EffectName.NOTIFY_OPERATOR_STUCK


def notices(engine: Engine, ref: str) -> dict[str, dict[str, object]]:
    return {e.key: e.payload for e in engine.show(ref).effects if e.type == STUCK.value}


def scan(engine: Engine, *, later: timedelta) -> int:
    found = stuck_orders(engine, clock=lambda: utcnow() + later)
    return notify_overdue(engine, found, clock=lambda: utcnow() + later).notified


def test_an_order_past_its_deadline_gets_one_notice_however_often_the_scan_runs(
    db_url: str,
) -> None:
    with Engine.open(db_url, create_if_empty=True) as engine:
        engine.submit("SHOP-1", "chk-1")
        early = scan(engine, later=timedelta(minutes=1))
        first = scan(engine, later=timedelta(minutes=20))
        second = scan(engine, later=timedelta(minutes=40))
        found = notices(engine, "SHOP-1")

    assert (early, first, second) == (0, 1, 0)
    [(key, payload)] = found.items()
    assert key.startswith("SHOP-1:submitted:overdue:") and key.endswith(":notify_operator_stuck")
    notice = PAYLOAD_TYPES[STUCK].model_validate(payload)
    assert isinstance(notice, OrderStuck)
    assert (notice.upstream_id, notice.checkout_id, notice.state) == (
        "SHOP-1",
        "chk-1",
        "submitted",
    )
    assert notice.deadline_seconds == 15 * 60
    assert 4 * 60 < notice.overdue_seconds < 6 * 60  # found 20 minutes in, 15 allowed
    assert notice.last_signal == "submit"
    assert "checkout id" in notice.advice
    assert notice.commands[0] == "orderfsm refresh SHOP-1"
    assert notice.model_dump(mode="json") == payload


def test_an_order_that_moves_on_and_waits_too_long_again_gets_a_new_notice(db_url: str) -> None:
    order = sketch(1)
    with Engine.open(db_url, create_if_empty=True) as engine:
        engine.submit(order.upstream_id, order.checkout_id)
        assert scan(engine, later=timedelta(minutes=20)) == 1
        engine.record_create_order_response(
            order.upstream_id, 201, order.order("accepted", utcnow())
        )
        in_time = scan(engine, later=timedelta(days=1))
        overdue = scan(engine, later=timedelta(days=6))
        again = scan(engine, later=timedelta(days=7))
        found = notices(engine, order.upstream_id)

    assert (in_time, overdue, again) == (0, 1, 0)
    states = sorted(str(payload["state"]) for payload in found.values())
    assert states == ["accepted", "submitted"]


def test_an_order_that_moved_on_since_the_scan_is_not_notified(db_url: str) -> None:
    order = sketch(1)
    with Engine.open(db_url, create_if_empty=True) as engine:
        engine.submit(order.upstream_id, order.checkout_id)
        [late] = stuck_orders(engine, clock=lambda: utcnow() + timedelta(minutes=20))
        engine.record_create_order_response(
            order.upstream_id, 201, order.order("accepted", utcnow())
        )
        moved = notify_overdue(engine, [late])
        # The same state, but entered at another time: another stay, not this one.
        elsewhere = notify_overdue(engine, [dataclasses.replace(late, state=OrderState.ACCEPTED)])
        found = notices(engine, order.upstream_id)

    assert (moved.stuck, moved.notified, elsewhere.notified) == (1, 0, 0)
    assert found == {}


def test_the_lifecycle_declares_the_notice_as_what_an_overdue_order_raises() -> None:
    assert [spec.name for spec in LIFECYCLE.on_overdue] == [STUCK]
    assert all(spec.when is None for spec in LIFECYCLE.on_overdue)


def test_stuck_notify_enqueues_and_the_worker_sink_shows_the_notice(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'shop.db'}"
    sink = tmp_path / "effects.jsonl"
    with Engine.open(db, create_if_empty=True) as engine:
        engine.submit("SHOP-9", "chk-9")
    time.sleep(1.1)  # past a 1 s deadline

    listed = run_orderfsm("stuck", "--db", db, "--deadline", "submitted=1s", "--notify")
    again = run_orderfsm("stuck", "--db", db, "--deadline", "submitted=1s", "--notify", "--json")
    worker = run_orderfsm("worker", "--db", db, "--once", "--sink", f"jsonl:{sink}")

    assert listed.returncode == again.returncode == worker.returncode == 0, listed.stderr
    assert "SHOP-9  submitted for" in listed.stdout
    assert "notify_operator_stuck: 1 new of 1" in listed.stderr
    assert "notify_operator_stuck: 0 new of 1" in again.stderr
    assert json.loads(again.stdout)["upstreamId"] == "SHOP-9"
    [line] = [json.loads(text) for text in sink.read_text().splitlines()]
    assert line["name"] == "notify_operator_stuck"
    assert line["payload"]["state"] == "submitted"
    assert line["payload"]["deadlineSeconds"] == 1
    assert line["payload"]["commands"][0] == "orderfsm refresh SHOP-9"


def test_a_host_running_the_worker_with_an_upkeep_gets_the_notice_delivered(
    sqlite_url: str,
) -> None:
    seen: list[Effect[OrderStuck]] = []
    registry = HandlerRegistry({STUCK: seen.append})
    upkeep = Upkeep(
        UpkeepConfig(
            stuck_every=timedelta(minutes=10),
            deadlines={OrderState.SUBMITTED: timedelta(seconds=1)},
        )
    )
    reports: list[WorkerReport] = []
    with Engine.open(sqlite_url, create_if_empty=True) as engine:
        engine.submit("SHOP-3", "chk-3")
        time.sleep(1.1)  # past the host's 1 s deadline
        run_worker(
            engine, registry, WorkerConfig(once=True), on_report=reports.append, upkeep=upkeep
        )

    [effect] = seen
    assert (effect.upstream_id, effect.payload.state, effect.payload.deadline_seconds) == (
        "SHOP-3",
        "submitted",
        1,
    )
    assert "stuck: 1 past their deadline, 1 newly notified" in [
        describe(r).split(" ", 1)[1] for r in reports
    ]


def test_an_upkeep_that_reads_dr_needs_a_client() -> None:
    with pytest.raises(ConfigurationError, match="need DR settings"):
        Upkeep(UpkeepConfig(reconcile_every=timedelta(minutes=10)))
    with pytest.raises(ConfigurationError, match="needs a stuck_every period"):
        UpkeepConfig(refresh_stuck=True)
