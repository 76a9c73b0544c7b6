"""A resent *partial* fulfilment is not counted twice at DR (a 201 again would double it).

A worker is SIGKILLed between DR's 201 and the outbox's done mark for a
shipment of part of an item; the next worker finds DR's fulfillment by the
report's key (``metadata``, in ``fulfillment.created`` from ``GET /events``)
and marks the effect done without a second ``POST /fulfillments``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from orderfsm.adapters.handlers import DrFulfilmentHandler
from orderfsm.adapters.handlers.dr_fulfilment import REPORT_KEY
from orderfsm.dispatch import Effect
from orderfsm.effects import FulfillmentReported
from orderfsm.effects.payloads import ReportedItem
from orderfsm.fsm.effects import EffectName
from orderfsm.sandbox import sandbox_in_thread
from tests.dr_helpers import requests_seen, sandbox_and_client
from tests.e2e.test_dr_fulfil_cli import accepted_order, db, dr_env, run, shown

__all__ = ["db"]  # the fixture, shared with test_dr_fulfil_cli


def test_a_worker_killed_after_dr_s_201_for_a_partial_shipment_leaves_dr_holding_it_once(
    db: str, tmp_path: Path
) -> None:
    marker = tmp_path / "crashed"
    with sandbox_in_thread() as sandbox:
        mug, _ebook = accepted_order(db, sandbox)  # two mugs ordered: ship one
        assert run("fulfil", "SHOP-1", f"{mug}=1", "--db", db).returncode == 0
        crashing = run(
            "worker",
            "--db",
            db,
            "--once",
            "--lease",
            "1",
            "--handlers",
            "tests.e2e.dr_crash_handlers:registry",
            env={**dr_env(sandbox), "CRASH_MARKER": str(marker)},
        )
        # The killed worker's lease (1 s) must run out before another worker may take it.
        for _ in range(60):
            again = run("worker", "--db", db, "--once", "--lease", "1", env=dr_env(sandbox))
            effects = [e for e in shown(db)["effects"] if e["type"] == "report_fulfillment"]
            if effects[0]["status"] != "pending":
                break
        posts = [r["status"] for r in requests_seen(sandbox) if r["path"] == "/fulfillments"]
        reads = [r["status"] for r in requests_seen(sandbox) if r["path"] == "/events"]
        [dr_order] = sandbox.state.orders.values()
        held = list(sandbox.state.fulfillments)

    assert crashing.returncode == -9, crashing.stderr
    assert again.returncode == 0, again.stderr
    assert [e["status"] for e in effects] == ["done"]
    assert posts == [201] and reads and set(reads) == {200}
    assert dr_order.fulfilled == {mug: 1} and dr_order.open_quantity(mug) == 1
    assert len(held) == 1 and held[0]["metadata"] == {REPORT_KEY: effects[0]["key"]}
    assert [(i["fulfilled"], i["cancelled"]) for i in shown(db)["items"]] == [(1, 0), (0, 0)]


def effect(
    order_id: str, item_id: str, attempt: int, key: str = "SHOP-1:report:1"
) -> Effect[FulfillmentReported]:
    payload = FulfillmentReported(
        order_id=order_id, upstream_id="SHOP-1", items=(ReportedItem(item_id=item_id, quantity=1),)
    )
    return Effect(EffectName.REPORT_FULFILLMENT, key, payload, "SHOP-1", attempt)


def test_a_resend_whose_first_attempt_never_reached_dr_is_sent() -> None:
    with sandbox_and_client() as (sandbox, client):
        order = client.create_order("accepted-1").order
        assert order is not None
        mug = order.items[0].id
        handler = DrFulfilmentHandler(client)
        handler(effect(order.id, mug, attempt=2))  # attempt 1 died before its POST
        handler(effect(order.id, mug, attempt=3))  # and this one after DR's 201
        handler(effect(order.id, mug, attempt=1, key="SHOP-1:report:2"))  # a second part
        seen = [(r["path"], r["status"]) for r in requests_seen(sandbox)]
        fulfilled = sandbox.state.orders[order.id].fulfilled

    posts = [status for path, status in seen if path == "/fulfillments"]
    # Attempt 2: DR's order shows the mug untouched, so it is sent without reading events;
    # attempt 3: the mug is partly fulfilled, so DR's events are read and the key found.
    assert [path for path, _ in seen if path != "/orders"] == [
        f"/orders/{order.id}",
        "/fulfillments",
        f"/orders/{order.id}",
        "/events",
        "/fulfillments",
    ]
    assert posts == [201, 201]
    assert fulfilled == {mug: 2}


def test_a_full_resend_dr_s_events_cannot_show_is_done_by_dr_s_409() -> None:
    with sandbox_and_client() as (sandbox, client):
        order = client.create_order("accepted-1").order
        assert order is not None
        ebook = order.items[1].id  # one ordered: this report leaves nothing open
        blind = DrFulfilmentHandler(client, lookback=timedelta(0))  # finds no earlier event
        blind(effect(order.id, ebook, attempt=1))
        blind(effect(order.id, ebook, attempt=2))
        posts = [r["status"] for r in requests_seen(sandbox) if r["path"] == "/fulfillments"]

    assert posts == [201, 409]
    assert len(sandbox.state.fulfillments) == 1
