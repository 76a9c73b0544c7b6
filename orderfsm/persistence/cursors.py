"""The reconcile cursor: where reading DR's ``GET /events`` stands, kept in the database.

A finished run leaves ``position``: the newest ``createdTime`` it stored. A
run under way records, in the transaction that stores each page's events into
the inbox, its lower bound, the last event id of that page (DR's
``startingAfter``) and the newest time seen so far: a run that crashes
resumes at the page after the last one stored, and nothing it stored is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from orderfsm.persistence.database import to_db_time
from orderfsm.persistence.tables import InboxRow, InboxStatus, ReconcileCursorRow

CURSORS: Table = ReconcileCursorRow.__table__  # type: ignore[attr-defined]
INBOX: Table = InboxRow.__table__  # type: ignore[attr-defined]

EVENTS_CURSOR = "events"
"""The cursor of ``GET /events`` (the only one so far)."""


@dataclass(frozen=True, slots=True)
class RunInProgress:
    """A reconcile run that stored pages and did not finish (yet, or ever: a crash)."""

    after: datetime
    """The run's ``createdTime[gt]`` bound."""
    starting_after: str
    """The last event id of the last page stored."""
    newest: datetime | None
    """The newest ``createdTime`` stored by the run."""


@dataclass(frozen=True, slots=True)
class ListedEvent:
    """One event of a ``GET /events`` page, as the inbox stores it."""

    event_id: str
    event_type: str
    body: str


@dataclass(frozen=True, slots=True)
class Cursor:
    """The stored cursor: the last finished run's position, and any run under way."""

    position: datetime | None
    run: RunInProgress | None


def read_cursor(engine: Engine, name: str = EVENTS_CURSOR) -> Cursor:
    """The cursor ``name`` (nothing recorded: no position, no run)."""
    with engine.connect() as connection:
        row = connection.execute(select(CURSORS).where(CURSORS.c.name == name)).mappings().first()
    if row is None:
        return Cursor(None, None)
    run = None
    after = to_db_time(row["run_after"])
    if after is not None and row["run_starting_after"] is not None:
        run = RunInProgress(after, row["run_starting_after"], to_db_time(row["run_newest"]))
    return Cursor(to_db_time(row["position"]), run)


def store_page(
    engine: Engine,
    events: Sequence[ListedEvent],
    run: RunInProgress | None,
    *,
    now: datetime,
    name: str = EVENTS_CURSOR,
) -> list[bool]:
    """Store a page's events in the inbox and, with them, where ``run`` resumes.

    One transaction: the cursor never gets ahead of the events, nor behind
    them. ``run`` is ``None`` on a run's last page (nothing to resume). Returns,
    per event, whether it was new (``False``: its id was in the inbox already).
    """
    with engine.begin() as connection:
        statement = _STORE_EVENT[connection.dialect.name]
        new = [
            connection.execute(
                statement,
                {
                    "event_id": event.event_id,
                    "event_type": event.event_type,
                    "body": event.body,
                    "status": InboxStatus.RECEIVED.value,
                    "attempts": 0,
                    "received_at": now,
                },
            ).first()
            is not None
            for event in events
        ]
        if run is not None:
            _upsert(
                connection,
                name,
                {
                    "run_after": run.after,
                    "run_starting_after": run.starting_after,
                    "run_newest": run.newest,
                    "updated_at": now,
                },
            )
    return new


# The receiver's statement (orderfsm.persistence.inbox): duplicates by event id are skipped.
_STORE_EVENT = {
    name: dialect.insert(INBOX)
    .on_conflict_do_nothing(index_elements=["event_id"])
    .returning(INBOX.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def finish_run(
    engine: Engine, position: datetime | None, *, now: datetime, name: str = EVENTS_CURSOR
) -> None:
    """The run read every page: ``position`` becomes the cursor, the run is forgotten."""
    values: dict[str, object] = {
        "run_after": None,
        "run_starting_after": None,
        "run_newest": None,
        "updated_at": now,
    }
    if position is not None:
        values["position"] = position
    with engine.begin() as connection:
        _upsert(connection, name, values)


def _upsert(connection: Connection, name: str, values: dict[str, object]) -> None:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(
        dialect.insert(CURSORS)
        .values(name=name, **values)
        .on_conflict_do_update(index_elements=["name"], set_=values)
    )
