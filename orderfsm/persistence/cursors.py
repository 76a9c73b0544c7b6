"""The reconcile cursor: where reading DR's ``GET /events`` stands, kept in the database.

A finished run leaves ``position``: the newest ``createdTime`` it stored. A
run under way records, after each page it stored, its lower bound, the last
event id of that page (DR's ``startingAfter``) and the newest time seen so
far: a run that crashes resumes at the page after the last one stored, and
nothing it stored is lost (the inbox already holds it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from orderfsm.persistence.database import to_db_time
from orderfsm.persistence.tables import ReconcileCursorRow

CURSORS: Table = ReconcileCursorRow.__table__  # type: ignore[attr-defined]

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


def record_page(
    engine: Engine, run: RunInProgress, *, now: datetime, name: str = EVENTS_CURSOR
) -> None:
    """A page of ``run`` is stored: resume after its last event if the run stops here."""
    _upsert(
        engine,
        name,
        {
            "run_after": run.after,
            "run_starting_after": run.starting_after,
            "run_newest": run.newest,
            "updated_at": now,
        },
    )


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
    _upsert(engine, name, values)


def _upsert(engine: Engine, name: str, values: dict[str, object]) -> None:
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(CURSORS)
        .values(name=name, **values)
        .on_conflict_do_update(index_elements=["name"], set_=values)
    )
    with engine.begin() as connection:
        connection.execute(statement)
