"""The harness's default database: one SQLite file per thread, emptied before each scenario.

Opening an engine per scenario cost more than the scenario itself: a new
SQLAlchemy engine starts with an empty compiled-statement cache, so every
statement a scenario runs was compiled again, and the schema was checked
again. Here the engine is opened once per thread (on a file in a temporary
folder, removed at exit) and each scenario starts by deleting every row of
every table in one transaction: the same schema, no rows, as fresh as a
migrated copy.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

from sqlalchemy import Engine as DbEngine
from sqlalchemy import text

_HELD = threading.local()
"""This thread's scratch database (SQLite connections stay in their thread)."""

_TABLES = text(
    "SELECT name FROM sqlite_master WHERE type = 'table' "
    "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version'"
)


def scratch_database() -> DbEngine:
    """This thread's scratch database, emptied: no order, event or effect left."""
    db: DbEngine | None = getattr(_HELD, "db", None)
    if db is None:
        db = _open()
        _HELD.db = db
    empty(db)
    return db


def is_scratch(db: DbEngine) -> bool:
    """True for this thread's scratch database (which outlives each scenario)."""
    return db is getattr(_HELD, "db", None)


def empty(db: DbEngine) -> None:
    """Delete every row of every orderfsm table of the SQLite database ``db``; keep the schema."""
    with db.begin() as connection:
        # Checked at commit, when every table is empty: the order of deletes is free.
        connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        for (table,) in connection.execute(_TABLES).all():
            connection.exec_driver_sql(f'DELETE FROM "{table}"')


def _open() -> DbEngine:
    from orderfsm.service import Engine  # the engine loads when a scenario first needs it

    folder = Path(tempfile.mkdtemp(prefix="orderfsm-harness-"))
    engine = Engine.open(f"sqlite:///{folder / 'orders.db'}", create_if_empty=True)
    atexit.register(_remove, engine.db, folder)
    return engine.db


def _remove(db: DbEngine, folder: Path) -> None:
    db.dispose()
    shutil.rmtree(folder, ignore_errors=True)
