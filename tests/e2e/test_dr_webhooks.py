"""The whole loop over HTTP: submit to the sandbox, its signed webhooks into a real receiver,
fulfilments reported back, and the order complete once the worker has applied the inbox."""

from __future__ import annotations

import time
from typing import Any

import pytest

from orderfsm import Engine
from orderfsm.adapters.digitalriver.models_api import FulfillmentLine, FulfillmentRequest
from orderfsm.inbox import drain_inbox
from orderfsm.sandbox import Faults, RunningSandbox, SandboxConfig
from orderfsm.service.submission import SubmissionPolicy, submit_to_dr
from tests.dr_helpers import control, sandbox_and_client
from tests.e2e.http_receiver import running_receiver

SECRET = "whsec_sandbox_e2e"
WAIT_S = 60


def settled_deliveries(sandbox: RunningSandbox, expected: int) -> dict[str, Any]:
    """The sandbox's webhook report once ``expected`` deliveries are done and nothing is queued."""
    deadline = time.monotonic() + WAIT_S
    while True:
        report: dict[str, Any] = control(sandbox, "GET", "webhooks")
        if report["idle"] and len(report["deliveries"]) + len(report["dropped"]) >= expected:
            return report
        assert time.monotonic() < deadline, f"webhooks not delivered: {report}"
        time.sleep(0.05)


@pytest.mark.parametrize(
    "faults",
    [Faults(), Faults(duplicate_webhooks=3, reorder_webhooks=True)],
    ids=["in order", "duplicated and reordered"],
)
def test_webhooks_from_the_sandbox_are_verified_stored_and_applied_up_to_complete(
    db_url: str, faults: Faults
) -> None:
    with (
        Engine.open(db_url, create_if_empty=True) as engine,
        running_receiver(db_url, env={"ORDERFSM_WEBHOOK_SECRETS": SECRET}) as receiver,
    ):
        config = SandboxConfig(
            webhook_url=receiver.webhook_url, webhook_secret=SECRET, faults=faults
        )
        with sandbox_and_client(config) as (sandbox, client):
            submitted = submit_to_dr(
                engine, client, "SHOP-1", "review_then_accepted-1", policy=SubmissionPolicy()
            )
            order = client.get_order(submitted.order_id or "").model
            mug, ebook = (item.id for item in order.items)
            client.create_fulfillment(
                FulfillmentRequest(order.id, (FulfillmentLine(mug, 2), FulfillmentLine(ebook, 1)))
            )
            events = len(sandbox.state.events)
            report = settled_deliveries(sandbox, events + faults.duplicate_webhooks)
        drain_inbox(engine)
        view = engine.show("SHOP-1")

    # review_opened, accepted, fulfillment.created, fulfilled, capture.complete, complete
    assert events == 6
    assert len(report["deliveries"]) == events + faults.duplicate_webhooks
    assert {d["status"] for d in report["deliveries"]} == {202}
    assert submitted.state == "in_review"
    assert view.state == "complete"
    applied = [h.event_type for h in view.history if h.outcome == "applied"]
    assert applied.count("order.complete") == 1


def test_dropped_webhooks_are_never_sent_and_the_rest_still_arrive(sqlite_url: str) -> None:
    with running_receiver(sqlite_url, env={"ORDERFSM_WEBHOOK_SECRETS": SECRET}) as receiver:
        config = SandboxConfig(
            webhook_url=receiver.webhook_url, webhook_secret=SECRET, faults=Faults(drop_webhooks=1)
        )
        with sandbox_and_client(config) as (sandbox, client):
            client.create_order("review_then_accepted-1")
            report = settled_deliveries(sandbox, 2)
            first, second = (e["id"] for e in sandbox.state.events)

    assert report["dropped"] == [first]
    assert [d["eventId"] for d in report["deliveries"]] == [second]
