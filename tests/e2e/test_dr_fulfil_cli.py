"""`orderfsm fulfil`, `orderfsm cancel` and `orderfsm worker` against the sandbox, as processes.

The crash test kills a real worker with SIGKILL after DR answered 201 and
before the outbox marked the effect done; the next worker finds DR's
fulfillment by the report's key and marks it done, so DR has it once (the
``409 item_fulfilled`` path is in test_dr_partial_resend.py).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from orderfsm import Engine
from orderfsm.sandbox import RunningSandbox, sandbox_in_thread
from orderfsm.service.submission import SubmissionPolicy, submit_to_dr
from tests.dr_helpers import requests_seen, sandbox_and_client
from tests.support.cli import run_orderfsm

ROOT = Path(__file__).parents[2]
TIMEOUT_S = 120


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_orderfsm(*args, cwd=ROOT, env={"COLUMNS": "200", **(env or {})}, timeout=TIMEOUT_S)


def accepted_order(db: str, sandbox: RunningSandbox) -> tuple[str, str]:
    """SHOP-1 submitted to the sandbox and accepted; its mug and ebook item ids."""
    from orderfsm.adapters.digitalriver.api_config import DrApiConfig
    from orderfsm.adapters.digitalriver.client import DrClient

    config = DrApiConfig(secret_key=sandbox.key, base_url=sandbox.url)
    with Engine.open(db, create_if_empty=True) as engine, DrClient(config) as client:
        submit_to_dr(engine, client, "SHOP-1", "accepted-1", policy=SubmissionPolicy())
        mug, ebook = (line.item_id for line in engine.show("SHOP-1").items)
    return mug, ebook


def shown(db: str) -> dict[str, Any]:
    done = run("show", "SHOP-1", "--db", db, "--json")
    assert done.returncode == 0, done.stderr
    loaded: dict[str, Any] = json.loads(done.stdout)
    return loaded


def dr_env(sandbox: RunningSandbox) -> dict[str, str]:
    return {"ORDERFSM_DR_API_URL": sandbox.url, "ORDERFSM_DR_API_KEY": sandbox.key}


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'shop.db'}"


def test_fulfil_then_the_worker_reports_it_and_show_lists_the_items(db: str) -> None:
    with sandbox_in_thread() as sandbox:
        mug, ebook = accepted_order(db, sandbox)
        fulfilled = run(
            "fulfil",
            "SHOP-1",
            f"{mug}=2",
            f"{ebook}=1",
            "--db",
            db,
            "--tracking-company",
            "UPS",
            "--tracking-number",
            "1Z[/x]9",
        )
        worker = run("worker", "--db", db, "--once", env=dr_env(sandbox))
        posted = list(sandbox.state.fulfillments)

    assert fulfilled.returncode == 0, fulfilled.stderr
    assert fulfilled.stdout.startswith("SHOP-1: fulfilment recorded")
    assert worker.returncode == 0, worker.stderr
    assert "report_fulfillment effects go to DR at" in worker.stderr
    assert sandbox.key not in worker.stdout + worker.stderr
    assert len(posted) == 1 and posted[0]["trackingNumber"] == "1Z[/x]9"
    view = shown(db)
    assert view["items"] == [
        {"itemId": mug, "quantity": 2, "fulfilled": 2, "cancelled": 0},
        {"itemId": ebook, "quantity": 1, "fulfilled": 1, "cancelled": 0},
    ]
    assert [e["status"] for e in view["effects"] if e["type"] == "report_fulfillment"] == ["done"]


def test_the_worker_without_dr_settings_says_so_and_leaves_the_report_pending(db: str) -> None:
    with sandbox_in_thread() as sandbox:
        mug, _ebook = accepted_order(db, sandbox)
        assert run("fulfil", "SHOP-1", f"{mug}=1", "--db", db).returncode == 0
        env = {"ORDERFSM_DR_API_KEY": ""}
        worker = run("worker", "--db", db, "--once", env=env)
        posted = list(sandbox.state.fulfillments)

    assert worker.returncode == 0, worker.stderr
    assert "no Digital River settings (--dr-key / ORDERFSM_DR_API_KEY)" in worker.stderr
    assert posted == []
    effects = [e for e in shown(db)["effects"] if e["type"] == "report_fulfillment"]
    assert [e["status"] for e in effects] == ["pending"]


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["fulfil", "SHOP-404", "it=1"], "no order with upstream id"),
        (["fulfil", "SHOP-1", "no-such-item=1"], "item no-such-item is not in the order"),
        (["fulfil", "SHOP-1", "{mug}=3"], "3 reported but 2 of 2 open"),
        (["cancel", "SHOP-1", "{mug}=3"], "3 reported but 2 of 2 open"),
    ],
)
def test_an_unknown_order_or_item_or_too_much_exits_1_with_one_line(
    db: str, args: list[str], problem: str
) -> None:
    with sandbox_in_thread() as sandbox:
        mug, _ebook = accepted_order(db, sandbox)
        done = run(*(a.format(mug=mug) for a in args), "--db", db)

    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and problem in lines[0], done.stderr


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["fulfil", "SHOP-1", "it=0"], "expected ITEM_ID=QTY with a quantity of at least 1"),
        (["fulfil", "SHOP-1", "it"], "expected ITEM_ID=QTY"),
        (["cancel", "SHOP-1"], "give either ITEM_ID=QTY... or --all"),
        (["cancel", "SHOP-1", "it=1", "--all"], "give either ITEM_ID=QTY... or --all"),
    ],
)
def test_a_malformed_command_line_is_a_usage_error_naming_the_problem(
    db: str, args: list[str], problem: str
) -> None:
    done = run(*args, "--db", db)

    assert done.returncode == 2
    assert problem in done.stderr.strip().splitlines()[-1], done.stderr


def test_cancel_all_before_shipment_cancels_every_item_at_dr(db: str) -> None:
    with sandbox_and_client() as (sandbox, client):
        mug, ebook = accepted_order(db, sandbox)
        cancelled = run("cancel", "SHOP-1", "--all", "--db", db)
        worker = run("worker", "--db", db, "--once", env=dr_env(sandbox))
        state = client.get_order(shown(db)["orderId"]).model.state

    assert cancelled.returncode == 0, cancelled.stderr
    assert worker.returncode == 0, worker.stderr
    assert state == "cancelled"
    assert [(i["fulfilled"], i["cancelled"]) for i in shown(db)["items"]] == [(0, 2), (0, 1)]
    assert mug and ebook


def test_a_worker_killed_between_dr_s_201_and_done_resends_and_dr_has_it_once(
    db: str, tmp_path: Path
) -> None:
    marker = tmp_path / "crashed"
    with sandbox_in_thread() as sandbox:
        mug, ebook = accepted_order(db, sandbox)
        assert run("fulfil", "SHOP-1", f"{mug}=2", f"{ebook}=1", "--db", db).returncode == 0
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
        after_crash = list(sandbox.state.fulfillments)
        pending = [e for e in shown(db)["effects"] if e["type"] == "report_fulfillment"]
        # The killed worker's lease (1 s) must run out before another worker may take it.
        for _ in range(60):
            again = run("worker", "--db", db, "--once", "--lease", "1", env=dr_env(sandbox))
            effects = [e for e in shown(db)["effects"] if e["type"] == "report_fulfillment"]
            if effects[0]["status"] != "pending":
                break
        statuses = [r["status"] for r in requests_seen(sandbox) if r["path"] == "/fulfillments"]
        final = list(sandbox.state.fulfillments)

    assert crashing.returncode == -9, crashing.stderr
    assert marker.exists()
    assert len(after_crash) == 1
    assert [e["status"] for e in pending] == ["pending"]
    assert again.returncode == 0, again.stderr
    assert [e["status"] for e in effects] == ["done"]
    # The resend found DR's fulfillment by its key (GET /events) and sent nothing.
    assert statuses == [201]
    assert len(final) == 1
