"""A journal run whose commits fail: resumed from the run's stored mark, each line applied once.

SQLite's driver is made to fail chosen ``COMMIT``s with "disk I/O error"
(SQLAlchemy's public dialect hook ``do_commit``): some after the commit went
through (the answer is lost: the classic in-doubt commit), some before it. The
run must wait, read its mark and apply each line exactly once, which the
stored rows and the outcomes of a clean run of the same journal pin down.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.workload import write_journal
from orderfsm.journal import JournalReport, apply_journal, numbered_lines
from orderfsm.journal_resume import Outage, OutagePolicy
from orderfsm.service import Engine
from tests.support.journal_checks import reference, stored

FAST = OutagePolicy(retry_for_s=10, first_wait_s=0.001, max_wait_s=0.01)


def failing_commits(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, *, after: set[int], before: set[int]
) -> None:
    """Fail the commits numbered ``after`` once committed, and ``before`` instead of committing."""
    dialect = engine.db.dialect
    real: Callable[[Any], None] = dialect.do_commit
    count = 0

    def commit(dbapi_connection: Any) -> None:
        nonlocal count
        count += 1
        if count in before:  # as SQLite does on an I/O error at COMMIT: rolled back
            dbapi_connection.rollback()
            raise sqlite3.OperationalError("disk I/O error")
        real(dbapi_connection)
        if count in after:
            raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(dialect, "do_commit", commit)


def run(engine: Engine, journal: Path, policy: OutagePolicy) -> tuple[JournalReport, list[Outage]]:
    outages: list[Outage] = []
    report = apply_journal(
        engine,
        numbered_lines([journal]),
        batch_size=50,
        outages=policy,
        on_outage=lambda outage, _report: outages.append(outage),
    )
    return report, outages


def test_commits_lost_after_or_before_they_happen_apply_every_line_exactly_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    journal = tmp_path / "day.jsonl"
    write_journal(journal, 60)  # 600 lines: 12 batches
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    with Engine.open(url, create_if_empty=True) as engine:
        failing_commits(monkeypatch, engine, after={3, 8}, before={5, 11})
        report, outages = run(engine, journal, FAST)

    clean_report, clean = reference(journal, tmp_path)
    assert [o.reason for o in outages] == ["apply_many: database error: disk I/O error"] * 4
    assert report.ok
    assert report.outcomes == clean_report.outcomes
    assert (report.lines, report.done, report.last_done) == (600, 600, f"{journal}:600")
    got = stored(url)
    assert got.first_steps == clean.first_steps
    assert got.deciding_per_event == clean.deciding_per_event
    assert (got.history_rows, got.outbox_rows) == (clean.history_rows, clean.outbox_rows)


def test_a_run_that_gives_up_says_how_far_it_got_and_applied_nothing_after(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    journal = tmp_path / "day.jsonl"
    write_journal(journal, 60)
    first_100 = tmp_path / "first.jsonl"
    first_100.write_text("".join(journal.read_text().splitlines(keepends=True)[:100]))
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    with Engine.open(url, create_if_empty=True) as engine:
        failing_commits(monkeypatch, engine, after=set(), before=set(range(3, 1_000)))
        report, outages = run(engine, journal, OutagePolicy(retry_for_s=0))

    assert report.stopped == "apply_many: database error: disk I/O error"
    assert not report.ok
    assert (report.lines, report.done, report.last_done) == (150, 100, f"{journal}:100")
    assert len(outages) == 0  # retry_for_s=0: gave up at the first failure
    _, clean = reference(first_100, tmp_path)
    got = stored(url)
    assert got.first_steps == clean.first_steps
    assert got.history_rows == clean.history_rows
    assert "last line done: " + str(journal) + ":100" in report.progress()
