"""``orderfsm orders`` on SQLite and PostgreSQL.

The orders are made by the engine; "not updated for two hours" is set by
moving ``orders.updated_at`` back, as time would. The table and a refused
cursor go through the real console script; the many filter and page runs
call the same entry point in process (tests/support/cli_in_process.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from orderfsm import Engine
from orderfsm.persistence.tables import ORDERS
from tests.support.cli import run_in_columns as run_script
from tests.support.cli_in_process import Ran, run_in_process
from tests.support.seeding import accept, sketch


def age(engine: Engine, upstream_id: str, by: timedelta) -> None:
    with engine.db.begin() as connection:
        connection.execute(
            update(ORDERS)
            .where(ORDERS.c.upstream_id == upstream_id)
            .values(updated_at=datetime.now(UTC) - by)
        )


@pytest.fixture
def shop(db_url: str) -> str:
    """Five orders: UP-1 accepted (3 h old), UP-2 submitted (2 h old), UP-3..5 fresh."""
    now = datetime.now(UTC)
    with Engine.open(db_url, create_if_empty=True) as engine:
        for n in range(1, 6):
            engine.submit(f"UP-{n}", f"co-{n}")
        accept(engine, sketch(1), now)
        age(engine, "UP-1", timedelta(hours=3))
        age(engine, "UP-2", timedelta(hours=2))
        for n in range(3, 6):
            age(engine, f"UP-{n}", timedelta(seconds=5 - n))
    return db_url


def run(*args: str, columns: int = 200) -> Ran:
    return run_in_process(*args, columns=columns)


def listed(*args: str) -> list[dict[str, object]]:
    done = run("orders", *args, "--json")
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, object]] = json.loads(done.stdout)
    return rows


def test_json_lists_orders_oldest_update_first_with_iso_utc_times(shop: str) -> None:
    rows = listed("--db", shop)

    assert [r["upstreamId"] for r in rows] == ["UP-1", "UP-2", "UP-3", "UP-4", "UP-5"]
    first = rows[0]
    assert set(first) == {
        "upstreamId",
        "orderId",
        "checkoutId",
        "state",
        "disputed",
        "createdAt",
        "updatedAt",
        "ageSeconds",
        "lastSignal",
        "lastOutcome",
        "lastSignalAt",
        "cursor",
    }
    assert (first["orderId"], first["state"], first["disputed"]) == ("dr-1", "accepted", False)
    assert (first["lastSignal"], first["lastOutcome"]) == ("order.accepted", "stale")
    assert rows[1]["lastSignal"] == "submit"
    updated = datetime.fromisoformat(str(first["updatedAt"]))
    assert updated.utcoffset() == timedelta(0)
    assert 3 * 3600 - 60 <= int(str(first["ageSeconds"])) <= 3 * 3600 + 600


def test_filters_by_age_state_and_dispute(shop: str) -> None:
    stuck = listed("--db", shop, "--older-than", "90m")
    submitted = listed("--db", shop, "--state", "submitted")
    disputed = listed("--db", shop, "--disputed")
    old_submitted = listed("--db", shop, "--state", "submitted", "--older-than", "1h")

    assert [r["upstreamId"] for r in stuck] == ["UP-1", "UP-2"]
    assert [r["upstreamId"] for r in submitted] == ["UP-2", "UP-3", "UP-4", "UP-5"]
    assert disputed == []
    assert [r["upstreamId"] for r in old_submitted] == ["UP-2"]


def test_pages_follow_the_cursor_without_repeating_or_skipping(shop: str) -> None:
    seen: list[object] = []
    after: list[str] = []
    for _ in range(4):
        page = listed("--db", shop, "--limit", "2", *after)
        seen += [r["upstreamId"] for r in page]
        if not page:
            break
        after = ["--after", str(page[-1]["cursor"])]

    assert seen == ["UP-1", "UP-2", "UP-3", "UP-4", "UP-5"]


def test_the_table_prints_the_next_page_cursor_and_wraps_at_80_columns(shop: str) -> None:
    done = run_script("orders", "--db", shop, "--limit", "2", columns=80)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), done.stdout
    assert "UP-1" in done.stdout and "order.accepted" in done.stdout and "3h0" in done.stdout
    (cursor_line,) = [line for line in lines if line.startswith("next page: --after ")]
    after = cursor_line.removeprefix("next page: --after ")
    assert [r["upstreamId"] for r in listed("--db", shop, "--after", after)] == [
        "UP-3",
        "UP-4",
        "UP-5",
    ]


def test_bad_state_age_or_cursor_is_one_clear_line(shop: str) -> None:
    state = run("orders", "--db", shop, "--state", "lost")
    older = run("orders", "--db", shop, "--older-than", "soon")
    cursor = run_script("orders", "--db", shop, "--after", "nonsense")

    assert state.returncode == 2 and "'lost' is not a state" in state.stderr
    assert older.returncode == 2 and "'soon' is not a duration" in older.stderr
    assert cursor.returncode == 1 and "not a cursor: 'nonsense'" in cursor.stderr
    assert "Traceback" not in state.stderr + older.stderr + cursor.stderr
