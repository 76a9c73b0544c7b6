"""The receiver's database: opened on first use, made ready once, and why it is not.

The receiver must outlive its database: started while PostgreSQL is down or
still recovering ("the database system is starting up"), or while a SQLite
file's directory is missing or read-only, it answers 503 (DR delivers again
later) and stores nothing; when the database answers again it stores, without
a restart. So nothing here connects when the app is built. Every write and
every health check first asks :meth:`ReceiverDatabase.ready`, which, until it
once succeeds, connects and checks the schema (creating it on an empty
database when asked to, as ``orderfsm serve`` does); a failure is a
:class:`Problem` whose state and one-line reason ``/healthz`` tells
authenticated callers. The password of the URL never appears in a reason.

A connection lost while running is PostgreSQL's pool's business (its
checkout discards one the server ended, :mod:`orderfsm.persistence.database`):
the failed group answers 503 and the next one connects anew (see
:mod:`.inbox_writer`). Each change
between usable and not is logged once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine as DbEngine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from orderfsm.adapters.http.durability import make_commits_durable
from orderfsm.adapters.http.inbox_writer import InboxWriter
from orderfsm.errors import DatabaseUnavailable, SchemaOutOfDate, StorageError
from orderfsm.persistence import open_engine
from orderfsm.persistence.inbox import Delivery
from orderfsm.persistence.schema import ensure_current, is_empty, upgrade

log = logging.getLogger(__name__)

NOT_READY: tuple[type[Exception], ...] = (
    SQLAlchemyError,
    DatabaseUnavailable,
    StorageError,
    SchemaOutOfDate,
)
"""What a database that cannot take deliveries for now raises: answered 503."""


POSTGRES_WRITERS = 4
"""Groups committing at once on PostgreSQL (within the pool's 5 connections)."""


class DatabaseState(StrEnum):
    """The ``database`` ``/healthz`` tells authenticated callers."""

    REACHABLE = "reachable"
    UNREACHABLE = "unreachable"
    SCHEMA_OUT_OF_DATE = "schema_out_of_date"


@dataclass(frozen=True, slots=True)
class Problem:
    """Why the database cannot take deliveries right now."""

    state: DatabaseState
    reason: str
    """One line, password hidden."""


class ReceiverDatabase:
    """The app's database engine: the host's, or one opened from a URL on first use."""

    def __init__(self, database: str | DbEngine, *, create_if_empty: bool = False) -> None:
        self._given = database
        self._create_if_empty = create_if_empty
        self._engine: DbEngine | None = None
        self._ready = False
        self._problem: Problem | None = None
        self._writer: InboxWriter | None = None
        self._lock = threading.Lock()
        if not isinstance(database, str):
            make_commits_durable(database)
            self._engine = database

    @property
    def writers(self) -> int:
        """How many groups may commit at once: one on SQLite, :data:`POSTGRES_WRITERS` else."""
        given = self._given
        if isinstance(given, str):
            return 1 if given.startswith("sqlite") else POSTGRES_WRITERS
        return 1 if given.dialect.name == "sqlite" else POSTGRES_WRITERS

    def ready(self) -> DbEngine:
        """The engine, once the database answers and its schema is current (checked once)."""
        engine = self._opened()
        if not self._ready:
            with self._lock:
                if not self._ready:
                    if self._create_if_empty and is_empty(engine):
                        upgrade(engine)
                    ensure_current(engine)
                    self._writer = InboxWriter(engine)
                    self._ready = True
        return engine

    def store_group(self, deliveries: Sequence[Delivery]) -> set[str]:
        """Store ``deliveries`` in one transaction; the event ids that were new.

        One statement on the calling writer thread's own DB-API connection
        (:mod:`.inbox_writer`), not a SQLAlchemy transaction per group.
        """
        self.ready()
        assert self._writer is not None
        return self._writer.store(deliveries)

    @staticmethod
    def alone_may_pass(exc: Exception) -> bool:
        """Whether a group failed for one delivery's sake (a refused row), not an outage."""
        if isinstance(exc, DBAPIError):
            return not exc.connection_invalidated and not isinstance(exc, OperationalError)
        return False

    def problem(self, exc: Exception) -> Problem:
        """What ``exc`` (one of :data:`NOT_READY`) says of the database, in one line."""
        if isinstance(exc, SchemaOutOfDate):
            return Problem(DatabaseState.SCHEMA_OUT_OF_DATE, self._hidden(str(exc)))
        # The driver's own words: DatabaseUnavailable's message adds the URL (and its user).
        cause = exc.__cause__ if isinstance(exc, DatabaseUnavailable) else exc
        orig = getattr(cause, "orig", None)
        text = str(orig if orig is not None else exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        return Problem(DatabaseState.UNREACHABLE, self._hidden(first))

    def note(self, problem: Problem | None) -> None:
        """Log once when the database stops or starts taking deliveries."""
        with self._lock:
            before, self._problem = self._problem, problem
        if problem is not None and (before is None or before.state is not problem.state):
            log.warning(
                "database cannot take deliveries (%s): %s; answering 503 until it can",
                problem.state.value,
                problem.reason,
            )
        elif problem is None and before is not None:
            log.warning("database takes deliveries again")

    def close(self) -> None:
        """Give back the writers' connections; dispose of an engine this object opened.

        Never the host's engine. Call it once the writer threads stopped.
        """
        with self._lock:
            writer, self._writer = self._writer, None
            if writer is not None:
                self._ready = False
        if writer is not None:
            writer.close()
        if isinstance(self._given, str) and self._engine is not None:
            self._engine.dispose()
            self._engine = None
            self._ready = False

    def _opened(self) -> DbEngine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    assert isinstance(self._given, str)
                    engine = open_engine(self._given)
                    make_commits_durable(engine)
                    self._engine = engine
        return self._engine

    def _hidden(self, text: str) -> str:
        password = self._engine.url.password if self._engine is not None else None
        return text.replace(str(password), "***") if password else text
