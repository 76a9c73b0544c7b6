"""The dispatcher over a real SQLite outbox filled by the engine; time is injected, never slept."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from orderfsm.dispatch import (
    DispatchConfig,
    Dispatcher,
    Effect,
    EffectItem,
    HandlerRegistry,
    PermanentEffectError,
    ShipmentRequest,
)
from orderfsm.errors import EffectNotFound
from orderfsm.fsm.effects import EffectName
from orderfsm.persistence import EffectStatus
from orderfsm.persistence.outbox import Claim, claim_due, mark_done, requeue_dead
from orderfsm.persistence.repository import OUTBOX
from orderfsm.service import Engine

from .support import Clock, accept, accept_orders, clock_after_now, effects, sketch

E = EffectName
CONFIG = DispatchConfig(
    max_attempts=5,
    base_delay=timedelta(seconds=10),
    max_delay=timedelta(seconds=60),
    jitter=0.0,
    lease=timedelta(minutes=5),
    batch_size=2,
)


@pytest.fixture
def clock() -> Clock:
    return clock_after_now()


class Recorder:
    """A handler that keeps what it was given."""

    def __init__(self) -> None:
        self.seen: list[Effect[Any]] = []

    def __call__(self, effect: Effect[Any]) -> None:
        self.seen.append(effect)


def every_effect(handler: Any) -> HandlerRegistry:
    return HandlerRegistry({name: handler for name in EffectName})


def test_every_effect_is_handed_to_its_handler_once_and_marked_done(
    engine: Engine, clock: Clock
) -> None:
    keys = accept_orders(engine, 3)
    recorder = Recorder()

    report = Dispatcher(engine.db, every_effect(recorder), CONFIG, clock).run_once()

    assert report.done == 9
    assert sorted(e.key for e in recorder.seen) == sorted(keys)
    assert {e.status for e in effects(engine).values()} == {EffectStatus.DONE}
    assert Dispatcher(engine.db, every_effect(recorder), CONFIG, clock).run_once().done == 0
    assert len(recorder.seen) == 9


def test_a_handler_receives_the_typed_payload_key_upstream_id_and_attempt(
    engine: Engine, clock: Clock
) -> None:
    accept(engine, sketch(7, physical=(True, True, False)))
    registry = HandlerRegistry()
    shipments: list[Effect[ShipmentRequest]] = []

    @registry.handler(E.REQUEST_SHIPMENT)
    def ship(effect: Effect[ShipmentRequest]) -> None:
        shipments.append(effect)

    Dispatcher(engine.db, registry, CONFIG, clock).run_once()

    [effect] = shipments
    assert effect.name is E.REQUEST_SHIPMENT
    assert effect.key == "UP7:accepted:request_shipment"
    assert effect.upstream_id == "UP7"
    assert effect.attempt == 1
    assert isinstance(effect.payload, ShipmentRequest)
    assert effect.payload.order_id == "DR7"
    assert [(i.id, i.sku_id, i.quantity) for i in effect.payload.items] == [
        ("it-7-0", "sku-0", 1),
        ("it-7-1", "sku-1", 2),
    ]
    assert effect.payload.ship_to is not None
    assert effect.payload.ship_to.address is not None
    assert effect.payload.ship_to.address.city == "Minneapolis"


def test_an_effect_with_no_handler_stays_pending_and_is_reported_every_pass(
    engine: Engine, clock: Clock
) -> None:
    accept(engine, sketch(1))
    registry = HandlerRegistry({E.SEND_ORDER_CONFIRMATION: Recorder()})
    dispatcher = Dispatcher(engine.db, registry, CONFIG, clock)

    first = dispatcher.run_once()
    clock.advance(timedelta(days=30))
    second = dispatcher.run_once()

    waiting = ("UP1:accepted:request_shipment", "UP1:accepted:deliver_digital")
    assert (first.done, first.unhandled, sorted(first.unhandled_keys)) == (1, 2, sorted(waiting))
    assert (second.done, second.unhandled, sorted(second.unhandled_keys)) == (
        0,
        2,
        sorted(waiting),
    )
    rows = effects(engine)
    assert [(rows[k].status, rows[k].attempts) for k in waiting] == [("pending", 0)] * 2


def test_a_failing_handler_is_retried_with_exponential_backoff_then_dead(
    engine: Engine, clock: Clock
) -> None:
    accept(engine, sketch(1, physical=(True,)))
    calls: list[int] = []

    def warehouse_down(effect: Effect[Any]) -> None:
        calls.append(effect.attempt)
        raise ConnectionError("warehouse unreachable")

    registry = HandlerRegistry({E.REQUEST_SHIPMENT: warehouse_down})
    dispatcher = Dispatcher(engine.db, registry, CONFIG, clock)
    key = "UP1:accepted:request_shipment"
    schedule = []
    for _ in range(4):
        start = clock.now
        assert dispatcher.run_once().retried == 1
        row = effects(engine)[key]
        assert row.status == EffectStatus.FAILED
        schedule.append(row.next_attempt_at - start)
        clock.advance(timedelta(seconds=1))
        assert dispatcher.run_once().handled == 0  # not due yet: no attempt before its time
        clock.now = row.next_attempt_at

    report = dispatcher.run_once()

    assert schedule == [timedelta(seconds=s) for s in (10, 20, 40, 60)]
    assert calls == [1, 2, 3, 4, 5]
    assert report.dead == 1
    assert report.dead_keys == (key,)
    row = effects(engine)[key]
    assert (row.status, row.attempts) == (EffectStatus.DEAD, 5)
    assert row.last_error == "ConnectionError: warehouse unreachable"
    clock.advance(timedelta(days=1))
    assert dispatcher.run_once().handled == 0


def test_jitter_shortens_each_delay_by_at_most_its_fraction(engine: Engine, clock: Clock) -> None:
    accept_orders(engine, 4)

    def fail(_effect: Effect[Any]) -> None:
        raise RuntimeError("later")

    config = DispatchConfig(base_delay=timedelta(seconds=100), jitter=0.5, batch_size=20)
    Dispatcher(engine.db, every_effect(fail), config, clock, random.Random(7)).run_once()

    delays = sorted(r.next_attempt_at - clock.now for r in effects(engine).values())
    assert all(timedelta(seconds=50) <= d <= timedelta(seconds=100) for d in delays)
    assert len(set(delays)) == len(delays)  # spread out, not all at the same instant


def test_a_permanent_error_makes_the_effect_dead_at_once(engine: Engine, clock: Clock) -> None:
    accept(engine, sketch(1, physical=(True,)))

    def refuse(_effect: Effect[Any]) -> None:
        raise PermanentEffectError("warehouse says: unknown SKU sku-0")

    report = Dispatcher(
        engine.db, HandlerRegistry({E.REQUEST_SHIPMENT: refuse}), CONFIG, clock
    ).run_once()

    row = effects(engine)["UP1:accepted:request_shipment"]
    assert (report.dead, row.status, row.attempts) == (1, EffectStatus.DEAD, 1)
    assert row.last_error == "warehouse says: unknown SKU sku-0"


def test_a_row_held_by_a_dispatcher_that_died_is_claimed_again_after_its_lease(
    engine: Engine, clock: Clock
) -> None:
    accept(engine, sketch(1, physical=(True,)))
    with engine.db.begin() as connection:  # a dispatcher claims, then dies
        [claim] = claim_due(
            connection,
            effects=[E.REQUEST_SHIPMENT.value],
            now=clock.now,
            lease_until=clock.now + CONFIG.lease,
            limit=5,
        )
    recorder = Recorder()
    dispatcher = Dispatcher(
        engine.db, HandlerRegistry({E.REQUEST_SHIPMENT: recorder}), CONFIG, clock
    )

    clock.advance(CONFIG.lease - timedelta(seconds=1))
    while_held = dispatcher.run_once()
    clock.advance(timedelta(seconds=1))
    after_lease = dispatcher.run_once()

    assert while_held.handled == 0
    assert after_lease.done == 1
    assert [(e.key, e.attempt) for e in recorder.seen] == [(claim.key, 2)]


def test_a_late_finisher_whose_row_was_reclaimed_leaves_the_new_claim_alone(
    engine: Engine, clock: Clock
) -> None:
    accept(engine, sketch(1, physical=(True,)))
    key = "UP1:accepted:request_shipment"
    later = clock.now + CONFIG.lease + timedelta(seconds=1)
    reclaimed: list[Claim] = []

    def slow_handler(_effect: Effect[Any]) -> None:
        # While this handler works, its lease runs out and another dispatcher claims the row.
        with engine.db.begin() as connection:
            reclaimed.extend(
                claim_due(
                    connection,
                    effects=[E.REQUEST_SHIPMENT.value],
                    now=later,
                    lease_until=later + CONFIG.lease,
                    limit=1,
                )
            )

    report = Dispatcher(
        engine.db, HandlerRegistry({E.REQUEST_SHIPMENT: slow_handler}), CONFIG, clock
    ).run_once()

    [claim] = reclaimed
    row = effects(engine)[key]
    assert (report.lost, report.done) == (1, 0)
    assert (row.status, row.attempts, row.lease_until) == (
        EffectStatus.PENDING,
        2,
        claim.lease_until,
    )
    with engine.db.begin() as connection:  # the new holder's result is the one that counts
        assert mark_done(connection, claim, now=later)
    assert effects(engine)[key].status == EffectStatus.DONE


def test_an_unknown_physical_flag_without_a_classifier_is_dead_with_the_reason(
    engine: Engine, clock: Clock
) -> None:
    accept(engine, sketch(1, physical=(None,)))
    recorder = Recorder()

    report = Dispatcher(engine.db, every_effect(recorder), CONFIG, clock).run_once()

    rows = effects(engine)
    reason = "item it-1-0 has no physical flag (non-expanded event) and no classifier is configured"
    for key in ("UP1:accepted:request_shipment", "UP1:accepted:deliver_digital"):
        assert (rows[key].status, rows[key].attempts, rows[key].last_error) == (
            EffectStatus.DEAD,
            1,
            reason,
        )
    assert report.dead == 2
    assert [e.name for e in recorder.seen] == [E.SEND_ORDER_CONFIRMATION]


def test_a_classifier_settles_unknown_items_before_the_handlers_see_them(
    engine: Engine, clock: Clock
) -> None:
    accept(engine, sketch(1, physical=(None, None, True)))
    recorder = Recorder()

    def ships(item: EffectItem) -> bool:
        return item.sku_id == "sku-0"

    registry = HandlerRegistry(
        {E.REQUEST_SHIPMENT: recorder, E.DELIVER_DIGITAL: recorder}, classifier=ships
    )
    Dispatcher(engine.db, registry, CONFIG, clock).run_once()

    delivered = {e.name: [(i.id, i.physical) for i in e.payload.items] for e in recorder.seen}
    assert delivered == {
        E.REQUEST_SHIPMENT: [("it-1-0", True), ("it-1-2", True)],
        E.DELIVER_DIGITAL: [("it-1-1", False)],
    }


def test_a_shipment_whose_items_all_turn_out_digital_is_done_without_calling_the_handler(
    engine: Engine, clock: Clock
) -> None:
    accept(engine, sketch(1, physical=(None, False)))
    recorder = Recorder()
    registry = HandlerRegistry({E.REQUEST_SHIPMENT: recorder})

    report = Dispatcher(
        engine.db, registry, CONFIG, clock, classifier=lambda item: False
    ).run_once()

    row = effects(engine)["UP1:accepted:request_shipment"]
    assert (report.done, recorder.seen) == (1, [])
    assert row.status == EffectStatus.DONE
    assert row.last_error == "nothing to deliver: no items of this kind"


def test_a_dead_effect_can_be_requeued_and_then_delivered(engine: Engine, clock: Clock) -> None:
    accept(engine, sketch(1, physical=(True,)))
    key = "UP1:accepted:request_shipment"

    def refuse(_effect: Effect[Any]) -> None:
        raise PermanentEffectError("address incomplete")

    Dispatcher(engine.db, HandlerRegistry({E.REQUEST_SHIPMENT: refuse}), CONFIG, clock).run_once()
    with engine.db.begin() as connection:
        requeue_dead(connection, key, now=clock.now)
    requeued = effects(engine)[key]
    recorder = Recorder()
    Dispatcher(engine.db, HandlerRegistry({E.REQUEST_SHIPMENT: recorder}), CONFIG, clock).run_once()

    assert (requeued.status, requeued.attempts) == (EffectStatus.PENDING, 0)
    assert [(e.key, e.attempt) for e in recorder.seen] == [(key, 1)]
    assert effects(engine)[key].status == EffectStatus.DONE


def test_requeueing_refuses_an_unknown_key_and_an_effect_that_is_not_dead(
    engine: Engine, clock: Clock
) -> None:
    accept(engine, sketch(1, physical=(True,)))

    with engine.db.begin() as connection, pytest.raises(EffectNotFound, match="no effect"):
        requeue_dead(connection, "UP404:accepted:request_shipment", now=clock.now)
    with (
        engine.db.begin() as connection,
        pytest.raises(EffectNotFound, match=r"in status dead \(it is pending\)"),
    ):
        requeue_dead(connection, "UP1:accepted:request_shipment", now=clock.now)


def test_an_unreadable_payload_is_dead_with_a_reason_not_retried(
    engine: Engine, clock: Clock
) -> None:
    accept(engine, sketch(1, physical=(True,)))
    with engine.db.begin() as connection:  # a row damaged by hand (the one hand-made state)
        connection.execute(
            OUTBOX.update()
            .where(OUTBOX.c.effect == E.SEND_ORDER_CONFIRMATION.value)
            .values(payload={"items": "not a list"})
        )
    recorder = Recorder()

    Dispatcher(engine.db, every_effect(recorder), CONFIG, clock).run_once()

    row = effects(engine)["UP1:accepted:send_order_confirmation"]
    assert row.status == EffectStatus.DEAD
    assert row.last_error is not None
    assert row.last_error.startswith("payload unreadable as send_order_confirmation")
    assert E.SEND_ORDER_CONFIRMATION not in {e.name for e in recorder.seen}
