"""``orderfsm apply`` and ``show --json`` on a SQLite file.

Each exit a user sees (0, 1 with one line per unreadable journal line, 1 for
an unknown order, 2 for usage, the URL from ``ORDERFSM_DB``) goes through the
real console script; the other runs call the same entry point in process
(tests/support/cli_in_process.py).
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orderfsm.samples.builders import Item, OrderSketch
from tests.support.cli import ORDERFSM
from tests.support.cli import run_orderfsm as run
from tests.support.cli_in_process import run_orderfsm_in_process as run_here

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def write_journal(path: Path, lines: list[object]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


def order() -> OrderSketch:
    return OrderSketch("DR9", "CO9", "UP9", [Item("it-1", "sku-1", 1, 5.0, True)])


def test_apply_then_show_json_gives_the_fixed_shape(tmp_path: Path) -> None:
    o = order()
    accepted = o.order("accepted", T0 + timedelta(minutes=1), fraud_state="passed")
    journal = write_journal(
        tmp_path / "j.jsonl",
        [
            o.submit(),
            o.response(201, accepted),
            o.event("order.accepted", accepted, T0 + timedelta(minutes=1)),
        ],
    )
    db = f"sqlite:///{tmp_path}/shop.db"
    applied = run("apply", "--db", db, str(journal))
    assert applied.returncode == 0, applied.stderr
    shown = run("show", "CO9", "--db", db, "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert set(data) == {
        "upstreamId",
        "orderId",
        "checkoutId",
        "state",
        "fraudState",
        "disputed",
        "charges",
        "history",
        "effects",
        "items",
    }
    assert (data["upstreamId"], data["orderId"], data["state"]) == ("UP9", "DR9", "accepted")
    assert data["charges"] == [{"id": "ch-1", "state": "capturable"}]
    assert [(h["trigger"], h["from"], h["to"], h["outcome"]) for h in data["history"]] == [
        ("submit", None, "submitted", "applied"),
        ("accept", "submitted", "accepted", "applied"),
        ("accept", "accepted", "accepted", "stale"),
    ]
    assert {tuple(sorted(h)) for h in data["history"]} == {
        ("drTime", "eventId", "from", "outcome", "reason", "recordedAt", "to", "trigger")
    }
    assert sorted(e["type"] for e in data["effects"]) == [
        "request_shipment",
        "send_order_confirmation",
    ]
    assert all(e["status"] == "pending" and e["key"] for e in data["effects"])
    assert data["items"] and all(
        set(i) == {"itemId", "quantity", "fulfilled", "cancelled"}
        and (i["fulfilled"], i["cancelled"]) == (0, 0)
        for i in data["items"]
    )


def test_unreadable_lines_are_reported_with_file_and_line_and_the_rest_applies(
    tmp_path: Path,
) -> None:
    o = order()
    journal = write_journal(
        tmp_path / "bad.jsonl",
        [
            o.submit(),
            "{not json",
            {"kind": "create_order_response", "upstreamId": "UP9", "status": 500, "body": {}},
            {"id": "e1", "type": "order.accepted", "data": {"object": {"id": 5}}},
            {"kind": "teleport"},
            o.event("order.accepted", o.order("accepted", T0), T0),
        ],
    )
    db = f"sqlite:///{tmp_path}/shop.db"
    result = run("apply", "--db", db, str(journal))
    assert result.returncode == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith(str(journal))]
    assert [p.split(":")[1] for p in problems] == ["2", "3", "4", "5"]
    assert result.stdout.startswith("6 lines: 2 read, 4 unreadable\n")
    assert "status" in problems[1] and "createdTime" in problems[2] and "teleport" in problems[3]
    assert json.loads(run_here("show", "UP9", "--db", db, "--json").stdout)["state"] == "accepted"


def test_a_line_that_is_not_utf8_is_reported_like_other_unreadable_lines(tmp_path: Path) -> None:
    o = order()
    journal = tmp_path / "latin1.jsonl"
    journal.write_bytes(
        (json.dumps(o.submit()) + "\n").encode()
        + '{"kind": "submit", "upstreamId": "CAF\u00c9"}\n'.encode("latin-1")
        + (json.dumps(o.event("order.accepted", o.order("accepted", T0), T0)) + "\n").encode()
    )
    db = f"sqlite:///{tmp_path}/shop.db"
    result = run_here("apply", "--db", db, str(journal))

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"{journal}:2: not UTF-8: byte 0xc9 at column 38",
    ]
    assert json.loads(run_here("show", "UP9", "--db", db, "--json").stdout)["state"] == "accepted"


def test_an_unknown_reference_is_one_clear_line_and_exit_1(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/shop.db"
    journal = write_journal(tmp_path / "j.jsonl", [order().submit()])
    assert run_here("apply", "--db", db, str(journal)).returncode == 0
    result = run("show", "nope", "--db", db)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: no order with upstream id, DR order id or checkout id 'nope'"
    )
    assert "Traceback" not in result.stderr


def test_show_says_when_events_are_parked_for_an_order_not_submitted_yet(
    tmp_path: Path,
) -> None:
    o = order()
    accepted = o.order("accepted", T0 + timedelta(minutes=1), fraud_state="passed")
    journal = write_journal(
        tmp_path / "early.jsonl", [o.event("order.accepted", accepted, T0 + timedelta(minutes=1))]
    )
    db = f"sqlite:///{tmp_path}/shop.db"
    assert run_here("apply", "--db", db, str(journal)).returncode == 0

    for ref in ("DR9", "CO9"):
        result = run_here("show", ref, "--db", db)
        assert result.returncode == 1
        assert result.stderr.strip() == (
            f"error: no order with upstream id, DR order id or checkout id {ref!r}; "
            "1 event (order.accepted) is parked for it, waiting for the order to be submitted"
        )
    assert run_here("show", "DR-other", "--db", db).stderr.strip().endswith("id 'DR-other'")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("apply").returncode == 2
    assert run("apply", "--db", "sqlite://", str(tmp_path / "missing.jsonl")).returncode == 2


def test_the_database_url_comes_from_ORDERFSM_DB(tmp_path: Path) -> None:
    journal = write_journal(tmp_path / "j.jsonl", [order().submit()])
    env = {"ORDERFSM_DB": f"sqlite:///{tmp_path}/env.db", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [ORDERFSM, "apply", str(journal)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "env.db").exists()
