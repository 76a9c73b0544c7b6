"""The engine on a real SQLite file and a real PostgreSQL schema: every convergence rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orderfsm.errors import ConfigurationError, OrderConflict, SchemaOutOfDate
from orderfsm.fsm import OrderState
from orderfsm.fsm.outcomes import Outcome
from orderfsm.persistence import open_engine
from orderfsm.persistence.schema import upgrade
from orderfsm.samples.builders import Item, OrderSketch, conflict_body, not_found_body
from orderfsm.service import Engine
from tests.support.engines import engine_on_each_database  # noqa: F401  (the ``engine`` fixture)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def sketch(
    n: int = 1,
    *,
    physical: tuple[bool | None, ...] = (True, False),
    charges: tuple[str, ...] = ("ch-1",),
) -> OrderSketch:
    return OrderSketch(
        dr_order_id=f"DR{n}",
        checkout_id=f"CO{n}",
        upstream_id=f"UP{n}",
        items=[Item(f"item-{i}", f"sku-{i}", 1, 10.0, p) for i, p in enumerate(physical)],
        charge_ids=charges,
    )


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def apply(
    engine: Engine, o: OrderSketch, event_type: str, state: str, minutes: float, **order_kwargs: Any
) -> Outcome | None:
    body = o.event(event_type, o.order(state, at(minutes), **order_kwargs), at(minutes))
    return engine.apply_event(body).outcome


def effect_types(engine: Engine, ref: str) -> list[str]:
    return sorted(e.type for e in engine.show(ref).effects)


def test_an_order_accepted_at_once_enqueues_confirmation_shipment_and_delivery(
    engine: Engine,
) -> None:
    o = sketch()
    engine.submit(o.upstream_id, o.checkout_id)
    result = engine.record_create_order_response(
        o.upstream_id, 201, o.order("accepted", at(1), fraud_state="passed")
    )
    assert result.outcome is Outcome.APPLIED
    view = engine.show(o.upstream_id)
    assert view.state == "accepted"
    assert view.order_id == "DR1"
    assert view.fraud_state == "passed"
    assert effect_types(engine, "UP1") == [
        "deliver_digital",
        "request_shipment",
        "send_order_confirmation",
    ]


def test_a_duplicate_event_is_recorded_and_changes_nothing_else(engine: Engine) -> None:
    o = sketch()
    engine.submit(o.upstream_id, o.checkout_id)
    body = o.event("order.accepted", o.order("accepted", at(1)), at(1))
    assert engine.apply_event(body).outcome is Outcome.APPLIED
    before = engine.show("UP1")
    assert engine.apply_event(body).outcome is Outcome.DUPLICATE
    after = engine.show("UP1")
    assert after.state == before.state and after.effects == before.effects
    assert [h.outcome for h in after.history][-1] == "duplicate"
    assert sum(1 for h in after.history if h.outcome == "applied" and h.event_id == body["id"]) == 1


def test_late_pending_payment_does_not_undo_acceptance(engine: Engine) -> None:
    o = sketch()
    engine.submit(o.upstream_id, o.checkout_id)
    assert apply(engine, o, "order.accepted", "accepted", 5) is Outcome.APPLIED
    assert (
        apply(engine, o, "order.pending_payment", "pending_payment", 1, charge_state="pending")
        is Outcome.STALE
    )
    assert engine.show("UP1").state == "accepted"


def test_a_late_201_after_the_webhook_is_stale(engine: Engine) -> None:
    o = sketch()
    engine.submit(o.upstream_id, o.checkout_id)
    apply(engine, o, "order.accepted", "accepted", 5)
    late = engine.record_create_order_response(
        o.upstream_id, 201, o.order("in_review", at(1), charge_state="pending")
    )
    assert late.outcome is Outcome.STALE
    assert engine.show("UP1").state == "accepted"


def test_fulfilled_while_in_review_walks_through_accepted_once(engine: Engine) -> None:
    o = sketch()
    engine.submit(o.upstream_id, o.checkout_id)
    apply(engine, o, "order.review_opened", "in_review", 1, charge_state="pending")
    result = engine.apply_event(
        o.event("order.fulfilled", o.order("fulfilled", at(60), charge_state="complete"), at(60))
    )
    assert [s.dest for s in result.steps] == [OrderState.ACCEPTED, OrderState.FULFILLED]
    assert effect_types(engine, "UP1").count("send_order_confirmation") == 1
    assert apply(engine, o, "order.accepted", "accepted", 30) is Outcome.STALE
    assert effect_types(engine, "UP1").count("send_order_confirmation") == 1


def test_events_after_blocked_are_recorded_as_terminal(engine: Engine) -> None:
    o = sketch()
    engine.submit(o.upstream_id, o.checkout_id)
    apply(engine, o, "order.blocked", "blocked", 2, charge_state="cancelled", fraud_state="blocked")
    assert apply(engine, o, "order.accepted", "accepted", 1) is Outcome.TERMINAL
    view = engine.show("UP1")
    assert view.state == "blocked"
    assert effect_types(engine, "UP1") == ["notify_order_blocked"]


def test_accept_with_a_pending_charge_is_refused_with_the_guards_reason(engine: Engine) -> None:
    o = sketch(charges=("ch-1", "ch-2"))
    engine.submit(o.upstream_id, o.checkout_id)
    outcome = apply(
        engine,
        o,
        "order.accepted",
        "accepted",
        1,
        charge_state={"ch-1": "capturable", "ch-2": "pending"},
    )
    assert outcome is Outcome.REFUSED
    last = engine.show("UP1").history[-1]
    assert "ch-2" in (last.reason or "") and last.outcome == "refused"
    assert engine.show("UP1").state == "submitted"
    assert engine.show("UP1").effects == []


def test_an_event_for_an_unknown_order_is_parked_then_applied_on_submit(engine: Engine) -> None:
    o = sketch()
    assert apply(engine, o, "order.accepted", "accepted", 1) is Outcome.PARKED
    engine.submit(o.upstream_id, o.checkout_id)
    view = engine.show("UP1")
    assert view.state == "accepted"
    assert [h.outcome for h in view.history] == ["applied", "parked", "applied"]
    body = o.event("order.accepted", o.order("accepted", at(1)), at(1))
    assert engine.apply_event(body).outcome is Outcome.DUPLICATE


def test_after_a_404_the_checkouts_events_attach_to_the_upstream_order(engine: Engine) -> None:
    o = sketch()
    engine.submit(o.upstream_id, o.checkout_id)
    consumed = engine.record_create_order_response(o.upstream_id, 404, not_found_body("CO1"))
    assert consumed.outcome is Outcome.APPLIED
    assert engine.show("UP1").state == "submitted"
    body = o.event("order.accepted", o.order("accepted", at(1)), at(1))
    body["data"]["object"].pop("upstreamId")
    assert engine.apply_event(body).outcome is Outcome.APPLIED
    assert engine.show("DR1").upstream_id == "UP1"


def test_a_409_payment_failure_rejects_with_a_customer_safe_message(engine: Engine) -> None:
    o = sketch()
    engine.submit(o.upstream_id, o.checkout_id)
    engine.record_create_order_response(
        o.upstream_id, 409, conflict_body("failed-request", "Failed to charge source.")
    )
    view = engine.show("UP1")
    assert view.state == "rejected"
    [effect] = view.effects
    assert effect.type == "notify_payment_failed"
    assert effect.payload["message"] == "Failed to charge source."
    assert "failed-request" not in str(effect.payload)


def test_dispute_sets_and_resolution_clears_the_flag_without_moving_back(engine: Engine) -> None:
    o = sketch()
    engine.submit(o.upstream_id, o.checkout_id)
    apply(engine, o, "order.complete", "complete", 100, charge_state="complete")
    assert engine.show("UP1").state == "complete"
    assert (
        apply(engine, o, "order.dispute", "dispute", 200, charge_state="complete")
        is Outcome.APPLIED
    )
    assert engine.show("UP1").disputed is True
    assert (
        apply(engine, o, "order.dispute.resolved", "accepted", 300, charge_state="complete")
        is Outcome.APPLIED
    )
    view = engine.show("UP1")
    assert view.disputed is False and view.state == "complete"


def test_a_late_dispute_event_does_not_reopen_a_resolved_dispute(engine: Engine) -> None:
    o = sketch()
    engine.submit(o.upstream_id, o.checkout_id)
    apply(engine, o, "order.complete", "complete", 100, charge_state="complete")
    apply(engine, o, "order.dispute.resolved", "accepted", 300, charge_state="complete")
    assert (
        apply(engine, o, "order.dispute", "dispute", 200, charge_state="complete") is Outcome.STALE
    )
    assert engine.show("UP1").disputed is False


def test_submitting_twice_is_idempotent_but_another_checkout_is_a_conflict(engine: Engine) -> None:
    engine.submit("UP1", "CO1")
    assert engine.submit("UP1", "CO1").outcome is Outcome.DUPLICATE
    with pytest.raises(OrderConflict, match="CO1"):
        engine.submit("UP1", "CO2")
    with pytest.raises(OrderConflict, match="UP1"):
        engine.submit("UP2", "CO1")


def test_a_database_behind_the_migrations_is_refused_with_the_fix(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    db = open_engine(url)
    with db.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    db.dispose()
    with pytest.raises(SchemaOutOfDate, match="orderfsm db upgrade --db"):
        Engine.open(url, create_if_empty=True)


def test_upgrade_brings_an_empty_database_to_head(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/new.db"
    db = open_engine(url)
    upgrade(db)
    db.dispose()
    with Engine.open(url) as engine:
        assert list(engine.orders()) == []


def test_a_charge_event_parked_by_its_dr_order_id_applies_once_an_event_links_that_id(
    engine: Engine,
) -> None:
    o = sketch()
    engine.submit(o.upstream_id, o.checkout_id)
    captured = o.event(
        "order.charge.capture.complete", o.charge("ch-1", "complete", at(200)), at(200)
    )
    assert engine.apply_event(captured).outcome is Outcome.PARKED  # carries only the DR order id
    assert apply(engine, o, "order.accepted", "accepted", 1) is Outcome.APPLIED
    view = engine.show("DR1")
    assert [(h.event_id, h.outcome) for h in view.history if h.event_id == captured["id"]] == [
        (captured["id"], "parked"),
        (captured["id"], "applied"),
    ]
    assert view.charges == [{"id": "ch-1", "state": "complete"}]
    assert engine.apply_event(captured).outcome is Outcome.DUPLICATE


def test_something_that_is_no_command_is_refused_in_one_line(sqlite_url: str) -> None:
    with Engine.open(sqlite_url, create_if_empty=True) as engine:
        with pytest.raises(ConfigurationError, match=r"^not an orderfsm command: dict$"):
            engine.apply_many([{"kind": "submit"}])  # type: ignore[list-item]
        assert list(engine.orders()) == []
