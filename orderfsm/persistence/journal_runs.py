"""Journal runs: the last journal line an ``orderfsm apply`` run committed, stored with it.

Each transaction that commits journal lines also writes the position of the
last of them under the run's id (:meth:`RunMark.record`). A connection lost
during ``COMMIT`` leaves the run not knowing whether its lines are in the
database; once the database answers again, :func:`committed_position` says,
so the run neither applies a line twice nor skips one. The rows stay: one
per run, the last line it committed and when (what an operator asks after a
run that gave up).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from orderfsm.errors import ContentionExhausted
from orderfsm.persistence.tables import JournalRunRow
from orderfsm.persistence.transaction import Transaction

JOURNAL = "apply"
"""The operation a storage error names (as the journal's units of work do)."""
JOURNAL_RUNS: Table = JournalRunRow.__table__  # type: ignore[attr-defined]


def new_run_id() -> str:
    """A fresh run id (one per ``apply_journal`` call)."""
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class RunMark:
    """Committing this transaction brings run ``run_id`` to line ``position``."""

    run_id: str
    position: int

    def record(self, connection: Connection) -> None:
        """Write the mark inside ``connection``'s transaction (committed with it)."""
        now = datetime.now(UTC)
        statement = (
            _dialect_insert(connection)
            .values(run_id=self.run_id, position=self.position, updated_at=now)
            .on_conflict_do_update(
                index_elements=["run_id"], set_={"position": self.position, "updated_at": now}
            )
        )
        connection.execute(statement)


def _dialect_insert(connection: Connection) -> postgresql.Insert | sqlite.Insert:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(JOURNAL_RUNS)
    return sqlite.insert(JOURNAL_RUNS)


def committed_position(db: Engine, run_id: str) -> int:
    """The last line run ``run_id`` committed (0: none yet)."""
    found = None
    with Transaction(db, JOURNAL, read_only=True) as tx:
        found = tx.store.connection.execute(
            select(JOURNAL_RUNS.c.position).where(JOURNAL_RUNS.c.run_id == run_id)
        ).scalar()
    if tx.collision is not None:
        raise ContentionExhausted(1, tx.collision.reason)
    return int(found or 0)
