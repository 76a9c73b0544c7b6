"""``orderfsm stuck`` and ``orderfsm refresh --stuck`` against the sandbox over real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import time
from typing import Any

from orderfsm import Engine
from orderfsm.sandbox import RunningSandbox
from tests.dr_helpers import sandbox_and_client
from tests.e2e.http_receiver import ORDERFSM

TIMEOUT_S = 120


def orderfsm(sandbox: RunningSandbox, *args: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        [ORDERFSM, *args, "--json"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env={**os.environ, "ORDERFSM_DR_API_URL": sandbox.url, "ORDERFSM_DR_API_KEY": sandbox.key},
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_a_lost_answer_without_webhooks_ends_in_dr_state_after_refresh_stuck(
    sqlite_url: str,
) -> None:
    with (
        Engine.open(sqlite_url, create_if_empty=True) as engine,
        sandbox_and_client() as (sandbox, client),
    ):
        # SHOP-1 reached DR, but its answer was never recorded and no webhook came;
        # SHOP-2's POST /orders never reached DR at all.
        engine.submit("SHOP-1", "review_then_accepted-1")
        client.create_order("review_then_accepted-1")
        engine.submit("SHOP-2", "chk-2")
        time.sleep(1.1)  # both now past a one-second deadline
        stuck = orderfsm(sandbox, "stuck", "--db", sqlite_url, "--deadline", "submitted=1s")
        refreshed = orderfsm(
            sandbox, "refresh", "--stuck", "--db", sqlite_url, "--deadline", "submitted=1s"
        )
        again = orderfsm(
            sandbox, "refresh", "SHOP-1", "--db", sqlite_url, "--deadline", "submitted=1s"
        )
        (dr_order,) = sandbox.state.orders.values()
        shop1, shop2 = engine.show("SHOP-1"), engine.show("SHOP-2")

    assert [(s["upstreamId"], s["state"], s["lastSignal"]) for s in stuck] == [
        ("SHOP-1", "submitted", "submit"),
        ("SHOP-2", "submitted", "submit"),
    ]
    by_order = {r["upstreamId"]: r for r in refreshed}
    assert by_order["SHOP-1"]["status"] == "found"
    assert by_order["SHOP-1"]["state"] == dr_order.state == shop1.state == "accepted"
    assert shop1.order_id == dr_order.id
    assert by_order["SHOP-2"] == {
        "upstreamId": "SHOP-2",
        "status": "not_created",
        "drState": None,
        "state": "submitted",
        "outcome": None,
    }
    assert shop2.state == "submitted"
    assert again[0]["state"] == "accepted" and again[0]["outcome"] != "applied"
    confirmations = [e for e in shop1.effects if e.type == "send_order_confirmation"]
    assert len(confirmations) == 1
