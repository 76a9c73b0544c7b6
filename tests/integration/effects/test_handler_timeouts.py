"""Handlers that hang: per-effect timeouts, counted slots, renewed leases, a stop mid-call.

Hanging is a handler blocked on an event the test sets at the end; what is
asserted is what the outbox and the reports say, never how long anything took.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from orderfsm.dispatch import DispatchConfig, Dispatcher, DispatchReport, Effect, HandlerRegistry
from orderfsm.fsm.effects import EffectName
from orderfsm.persistence import EffectStatus
from orderfsm.service import Engine
from tests.support.engines import engine_on_each_database  # noqa: F401  (the ``engine`` fixture)

from .support import accept, effects, sketch

E = EffectName
WAIT_S = 30.0
HANG = E.SEND_ORDER_CONFIRMATION


class Hanging:
    """Handlers: ``HANG`` blocks until :meth:`release`; every other effect returns at once."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.started = threading.Event()
        self._released = threading.Event()
        self.returned = threading.Event()

    def __call__(self, effect: Effect[Any]) -> None:
        self.calls.append(effect.key)
        if effect.name is HANG:
            self.started.set()
            self._released.wait(WAIT_S)
            self.returned.set()

    def release(self) -> None:
        self._released.set()

    def registry(self) -> HandlerRegistry:
        return HandlerRegistry({name: self for name in EffectName})


@pytest.fixture
def hanging() -> Iterator[Hanging]:
    handlers = Hanging()
    yield handlers
    handlers.release()


def config(**changes: Any) -> DispatchConfig:
    settings: dict[str, Any] = {
        "jitter": 0.0,
        "base_delay": timedelta(minutes=10),
        "handler_timeout": timedelta(seconds=WAIT_S),
        "handler_timeouts": {HANG: timedelta(seconds=0.2)},
    }
    return DispatchConfig(**(settings | changes))


def in_thread(work: Any) -> tuple[threading.Thread, list[Any]]:
    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(work()))
    thread.start()
    return thread, results


def test_a_handler_past_its_timeout_is_a_failed_attempt_and_the_others_are_done(
    engine: Engine, hanging: Hanging
) -> None:
    keys = accept(engine, sketch(1))
    hung = next(k for k in keys if k.endswith(HANG.value))

    report = Dispatcher(engine.db, hanging.registry(), config()).run_once()

    rows = effects(engine)
    assert (report.done, report.retried, report.dead, report.stuck) == (len(keys) - 1, 1, 0, 1)
    assert rows[hung].status == EffectStatus.FAILED.value and rows[hung].lease_until is None
    assert rows[hung].last_error == "timed out: the handler did not return within 0.2s"
    assert rows[hung].next_attempt_at > rows[hung].updated_at  # after the backoff
    assert {rows[k].status for k in keys if k != hung} == {EffectStatus.DONE.value}
    # The abandoned call returns later: nothing it does reaches the row.
    hanging.release()
    assert hanging.returned.wait(WAIT_S)
    assert effects(engine)[hung] == rows[hung]


def test_a_timeout_on_the_last_attempt_makes_the_effect_dead(
    engine: Engine, hanging: Hanging
) -> None:
    keys = accept(engine, sketch(1))
    hung = next(k for k in keys if k.endswith(HANG.value))

    report = Dispatcher(engine.db, hanging.registry(), config(max_attempts=1)).run_once()

    assert report.dead_keys == (hung,)
    assert effects(engine)[hung].status == EffectStatus.DEAD.value


def test_a_hung_call_keeps_its_slot_and_the_effects_behind_it_wait_unclaimed(
    engine: Engine, hanging: Hanging
) -> None:
    keys = accept(engine, sketch(1))
    hung = next(k for k in keys if k.endswith(HANG.value))
    # The hanging effect is claimed first: the others are enqueued after it.
    assert keys[0] == hung
    dispatcher = Dispatcher(engine.db, hanging.registry(), config(handler_slots=1))

    blocked = dispatcher.run_once()

    # Claimed in the same batch, they were given back untried, free for another worker.
    waiting = [effects(engine)[k] for k in keys[1:]]
    assert (blocked.retried, blocked.done, blocked.stuck, blocked.released) == (1, 0, 1, 2)
    assert {(e.status, e.attempts, e.lease_until) for e in waiting} == {("pending", 0, None)}
    hanging.release()
    assert hanging.returned.wait(WAIT_S)
    deadline = time.monotonic() + WAIT_S
    while dispatcher.run_once().stuck:  # the thread ends just after the handler returns
        assert time.monotonic() < deadline

    assert {effects(engine)[k].status for k in keys[1:]} == {EffectStatus.DONE.value}


def test_a_running_handlers_lease_is_renewed_so_another_dispatcher_leaves_it_alone(
    engine: Engine, hanging: Hanging
) -> None:
    [hung] = [k for k in accept(engine, sketch(1)) if k.endswith(HANG.value)]
    lease = timedelta(seconds=1)
    holder = Dispatcher(engine.db, hanging.registry(), config(lease=lease, handler_timeouts={}))
    other = Dispatcher(engine.db, HandlerRegistry({HANG: hanging}), config(lease=lease))
    thread, reports = in_thread(holder.run_once)
    assert hanging.started.wait(WAIT_S)
    first_lease = effects(engine)[hung].lease_until
    assert first_lease is not None

    # Two leases later, the row is still held: renewed, never free for the other.
    renewed = first_lease
    deadline = time.monotonic() + WAIT_S
    while renewed <= first_lease + 2 * lease:
        assert time.monotonic() < deadline, "the lease was never renewed"
        assert other.run_once().handled == 0
        renewed = effects(engine)[hung].lease_until or first_lease
        time.sleep(0.05)
    hanging.release()
    thread.join(WAIT_S)

    assert hanging.calls.count(hung) == 1
    assert reports[0].done_keys.count(hung) == 1
    assert effects(engine)[hung].status == EffectStatus.DONE.value


def test_a_stop_gives_back_waiting_claims_and_puts_a_running_effect_back_in_line(
    engine: Engine, hanging: Hanging
) -> None:
    keys = accept(engine, sketch(1))
    hung = keys[0]
    assert hung.endswith(HANG.value)
    stop = threading.Event()
    one_slot = config(handler_timeouts={}, handler_slots=1)
    dispatcher = Dispatcher(engine.db, hanging.registry(), one_slot)

    def stopped_pass() -> tuple[DispatchReport, DispatchReport]:
        return dispatcher.run_once(stop=stop), dispatcher.finish(timedelta(0))

    thread, reports = in_thread(stopped_pass)
    assert hanging.started.wait(WAIT_S)
    stop.set()
    thread.join(WAIT_S)

    [(passed, finished)] = reports
    # The claims that waited for the slot go back untried ...
    assert passed.released == 2
    assert {(effects(engine)[k].attempts, effects(engine)[k].lease_until) for k in keys[1:]} == {
        (0, None)
    }
    # ... and the running one is put back in line, its attempt counted.
    row = effects(engine)[hung]
    assert finished.interrupted == 1 and dispatcher.in_flight == 0
    assert row.status == EffectStatus.FAILED.value and row.lease_until is None
    assert row.next_attempt_at <= row.updated_at  # due again at once
    assert row.attempts == 1 and "interrupted" in (row.last_error or "")
