"""What a journal run left in a database, to compare an interrupted run with a clean one."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from orderfsm.journal import JournalReport, apply_journal, numbered_lines
from orderfsm.service import Engine


@dataclass(frozen=True)
class Stored:
    """Counts that change if a line is applied twice or skipped."""

    first_steps: Counter[str]
    """Step-0 history rows by outcome: one per line that reached an order (duplicates too)."""
    deciding_per_event: Counter[str]
    """Deciding history rows per event id (each must be 1)."""
    history_rows: int
    outbox_rows: int
    outbox_keys: int
    """Distinct idempotency keys (equal to ``outbox_rows``)."""
    states: Counter[str]


def stored(url: str) -> Stored:
    """Read the counts of :class:`Stored` from the database at ``url``."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:

            def rows(sql: str) -> list[tuple[str, int]]:
                return [(str(k), int(v)) for k, v in connection.execute(sa.text(sql))]

            first = rows(
                "SELECT outcome, count(*) FROM order_history WHERE step = 0 GROUP BY outcome"
            )
            deciding = rows(
                "SELECT event_id, count(*) FROM order_history WHERE step = 0 "
                "AND event_id IS NOT NULL AND outcome NOT IN ('duplicate', 'parked') "
                "GROUP BY event_id"
            )
            history = connection.execute(sa.text("SELECT count(*) FROM order_history")).scalar()
            outbox, keys = connection.execute(
                sa.text("SELECT count(*), count(DISTINCT idempotency_key) FROM outbox")
            ).one()
            states = rows("SELECT state, count(*) FROM orders GROUP BY state")
    finally:
        engine.dispose()
    return Stored(
        Counter({str(k): int(v) for k, v in first}),
        Counter({str(k): int(v) for k, v in deciding}),
        int(history or 0),
        int(outbox),
        int(keys),
        Counter({str(k): int(v) for k, v in states}),
    )


def reference(journal: Path, folder: Path) -> tuple[JournalReport, Stored]:
    """The report and counts of a clean, uninterrupted run on a fresh SQLite file."""
    url = f"sqlite:///{folder / 'reference.db'}"
    with Engine.open(url, create_if_empty=True) as engine:
        report = apply_journal(engine, numbered_lines([journal]))
    return report, stored(url)
