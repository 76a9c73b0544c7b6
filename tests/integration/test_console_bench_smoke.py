"""bench/console_orders.py runs (tiny sizes: the figures mean nothing, the code paths do)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench.console_orders import PAGES, ConsoleSizes, console_report, fill


def test_the_console_benchmark_fills_a_database_and_times_every_page() -> None:
    report = console_report(ConsoleSizes(orders=60, repeat=1))
    for name in PAGES:
        assert len(report.figure(f"{name}: GET").samples) == 1
    assert report.figure("first page: GET / raw sqlite3 page").samples[0] > 0
    assert any("filled 60 orders" in note for note in report.notes)


def test_the_fill_marks_dead_the_effects_of_one_accepted_order_in_50(tmp_path: Path) -> None:
    path = tmp_path / "console.db"
    fill(path, 120)
    with sqlite3.connect(path) as connection:
        dead = connection.execute(
            "SELECT DISTINCT order_id FROM outbox WHERE status = 'dead' ORDER BY order_id"
        ).fetchall()
    assert [order_id for (order_id,) in dead] == [1, 51, 101]
