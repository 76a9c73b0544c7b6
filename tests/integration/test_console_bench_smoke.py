"""bench/console_orders.py runs (tiny sizes: the figures mean nothing, the code paths do)."""

from __future__ import annotations

from bench.console_orders import PAGES, ConsoleSizes, console_report


def test_the_console_benchmark_fills_a_database_and_times_every_page() -> None:
    report = console_report(ConsoleSizes(orders=60, repeat=1))
    for name in PAGES:
        assert len(report.figure(f"{name}: GET").samples) == 1
    assert report.figure("first page: GET / raw sqlite3 page").samples[0] > 0
    assert any("filled 60 orders" in note for note in report.notes)
