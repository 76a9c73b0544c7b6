"""An effect no handler is registered for is noted as such, not shown as ordinary backlog."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

from orderfsm.dispatch import DispatchConfig, Dispatcher, Effect, HandlerRegistry
from orderfsm.fsm.effects import EffectName
from orderfsm.persistence.records import NO_HANDLER
from orderfsm.service import Engine
from orderfsm.service.worker import WorkerConfig, run_worker
from orderfsm.service.worker_reports import EffectsPassed, NoHandler, WorkerReport, describe
from tests.support.cli import run_orderfsm
from tests.support.cli_in_process import run_orderfsm_in_process
from tests.support.engines import engine_on_each_database  # noqa: F401

from .support import accept, clock_after_now, effects, sketch

E = EffectName
SHIPMENT, DIGITAL = "UP1:accepted:request_shipment", "UP1:accepted:deliver_digital"
CONFIRMATION = "UP1:accepted:send_order_confirmation"


def confirmations_only(seen: list[str]) -> HandlerRegistry:
    return HandlerRegistry({E.SEND_ORDER_CONFIRMATION: lambda effect: seen.append(effect.key)})


def test_a_pass_notes_no_handler_on_the_rows_it_cannot_take_without_counting_an_attempt(
    engine: Engine,
) -> None:
    accept(engine, sketch(1))
    seen: list[str] = []

    report = Dispatcher(engine.db, confirmations_only(seen), clock=clock_after_now()).run_once()

    rows = effects(engine)
    assert seen == [CONFIRMATION]
    assert report.unhandled_effects == {"request_shipment": 1, "deliver_digital": 1}
    for key in (SHIPMENT, DIGITAL):
        assert (rows[key].status, rows[key].attempts, rows[key].last_error) == (
            "pending",
            0,
            NO_HANDLER,
        )
    assert rows[CONFIRMATION].last_error is None


def test_a_worker_with_the_handler_clears_the_note_and_delivers_the_effect(
    engine: Engine,
) -> None:
    accept(engine, sketch(1))
    clock = clock_after_now()
    Dispatcher(engine.db, confirmations_only([]), clock=clock).run_once()
    seen: list[Effect[Any]] = []
    failing = HandlerRegistry({E.REQUEST_SHIPMENT: _fail, E.DELIVER_DIGITAL: seen.append})

    Dispatcher(engine.db, failing, DispatchConfig(jitter=0.0), clock=clock).run_once()

    rows = effects(engine)
    assert [e.key for e in seen] == [DIGITAL]
    assert (rows[DIGITAL].status, rows[DIGITAL].last_error) == ("done", None)
    # A real error replaces the note, and no later pass without the handler hides it.
    assert (rows[SHIPMENT].status, rows[SHIPMENT].last_error) == (
        "failed",
        "OSError: warehouse down",
    )
    Dispatcher(engine.db, confirmations_only([]), clock=clock).run_once()
    assert effects(engine)[SHIPMENT].last_error == "OSError: warehouse down"


def _fail(_effect: Effect[Any]) -> None:
    raise OSError("warehouse down")


def test_effects_and_show_mark_no_handler_apart_from_an_effect_never_looked_at(
    engine: Engine, db_url: str
) -> None:
    accept(engine, sketch(1))
    before = run_orderfsm_in_process("show", "UP1", "--db", db_url)  # no worker looked yet
    Dispatcher(engine.db, confirmations_only([]), clock=clock_after_now()).run_once()

    listed = run_orderfsm("effects", "--db", db_url, "--json")
    table = run_orderfsm_in_process("effects", "--db", db_url)
    shown = run_orderfsm("show", "UP1", "--db", db_url)
    as_json = run_orderfsm_in_process("show", "UP1", "--db", db_url, "--json")

    assert listed.returncode == table.returncode == shown.returncode == 0, listed.stderr
    flags = {row["key"]: row["noHandler"] for row in map(json.loads, listed.stdout.splitlines())}
    assert flags == {CONFIRMATION: False, SHIPMENT: True, DIGITAL: True}
    assert table.stdout.count("no handler") == 2
    assert "never" in before.stdout and "no handler" not in before.stdout
    assert shown.stdout.count("no handler") == 2
    assert "never attempted" not in shown.stdout
    marked = {e["key"]: e["noHandler"] for e in json.loads(as_json.stdout)["effects"]}
    assert marked == flags


def test_the_worker_says_once_per_effect_name_that_it_has_no_handler(engine: Engine) -> None:
    accept(engine, sketch(1))
    accept(engine, sketch(2))
    reports: list[WorkerReport] = []
    stop = threading.Event()
    later = threading.Timer(0.8, stop.set)  # a dozen idle passes, every 0.05 s

    def on_report(report: WorkerReport) -> None:
        reports.append(report)
        if isinstance(report, EffectsPassed) and not later.is_alive():
            later.start()

    config = WorkerConfig(interval=timedelta(seconds=0.05), grace=timedelta(0))
    run_worker(engine, confirmations_only([]), config, stop=stop, on_report=on_report)

    told = [r for r in reports if isinstance(r, NoHandler)]
    assert sorted((r.effect, r.pending) for r in told) == [
        ("deliver_digital", 2),
        ("request_shipment", 2),
    ]
    assert describe(told[0]).endswith(
        f"worker: no handler registered for {told[0].effect}: 2 pending"
    )
