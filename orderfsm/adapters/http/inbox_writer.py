"""A writer thread's inbox insert: one statement per group on its own DB-API connection.

The group committer (:mod:`.group_commit`) hands each writer thread a group
of deliveries; this stores them as one multi-row ``INSERT ... ON CONFLICT
(event_id) DO NOTHING`` run in autocommit: one statement is one transaction,
so the group is stored whole or not at all, and on SQLite the statement
returns only once its commit is durable (``synchronous=FULL``, see
:mod:`.durability`). No SQLAlchemy transaction per group: the writer keeps
the DB-API connection it checked out (the engine's pool events ran: the
durable pragma on SQLite, on PostgreSQL the checkout's check for a
connection the server ended) and gives it back
after :data:`IDLE_RETURN_S` without a group, so a connection idle across a
database restart is checked again before use. A failure returns it to the
pool (or drops it when the database says the connection is gone), so the
next group starts on a fresh one.

Which event ids were new (stored) and which the inbox already held
(duplicates):

* PostgreSQL: ``RETURNING event_id``, in the same round trip;
* SQLite: the statement's count of inserted rows; all of them new is the
  usual case. Otherwise the rows it inserted are read back by rowid: one
  statement inserts under the database's one write lock, and SQLite gives
  each new row the largest rowid plus one, so its rows are the ``rowcount``
  rowids ending at ``lastrowid``. (``RETURNING`` would cost a step, and with
  it a release and a wait for the interpreter's lock, per row.)

A DB-API error comes out as SQLAlchemy's own wrapper (``OperationalError``,
``IntegrityError``, ...), as if SQLAlchemy had run the statement: the
receiver's outage handling reads those.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from orderfsm.persistence.inbox import INBOX, Delivery
from orderfsm.persistence.tables import InboxStatus

IDLE_RETURN_S = 1.0
"""A writer's connection unused this long goes back to the pool before the next group."""

COLUMNS = ("event_id", "event_type", "body", "status", "attempts", "received_at")
"""What the receiver writes of an inbox row; the rest are the table's defaults (NULL)."""
STATEMENT_NAME = "INSERT INTO inbox ... ON CONFLICT (event_id) DO NOTHING"
"""How an error names the statement (the parameters are bodies: never in a message)."""


class InboxWriter:
    """Stores groups of deliveries; one connection held per calling thread."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        dialect = engine.dialect
        self._postgres = dialect.name == "postgresql"
        self._marker = "?" if dialect.paramstyle == "qmark" else "%s"
        self._processors: list[Callable[[Any], Any] | None] = [
            INBOX.c[name].type.bind_processor(dialect) for name in COLUMNS
        ]
        self._statements: dict[int, str] = {}
        self._local = threading.local()
        self._held: list[_Held] = []
        self._lock = threading.Lock()

    def store(self, deliveries: Sequence[Delivery]) -> set[str]:
        """Store ``deliveries`` in one transaction; the event ids that were new."""
        rows = _distinct(deliveries)
        try:
            held = self._connection()  # a checkout may fail too (its pragma, its check)
        except Exception as exc:
            raise self._wrapped(exc, gone=False) from exc
        cursor = None
        try:
            cursor = held.dbapi.cursor()
            new = self._insert(cursor, rows)
        except Exception as exc:
            gone = self._failed(held, cursor, exc)
            raise self._wrapped(exc, gone=gone) from exc
        cursor.close()
        held.used_at = time.monotonic()
        return new

    def close(self) -> None:
        """Give back every held connection (call once the writer threads stopped)."""
        with self._lock:
            held, self._held = self._held, []
        for one in held:
            one.release()

    def _insert(self, cursor: Any, deliveries: list[Delivery]) -> set[str]:
        received, processors = InboxStatus.RECEIVED.value, self._processors
        params: list[Any] = []
        for delivery in deliveries:
            values = (
                delivery.event_id,
                delivery.event_type,
                delivery.body,
                received,
                0,
                delivery.received_at,
            )
            # The columns' own bind processing (the UTC datetime's), as SQLAlchemy does.
            params.extend(p(v) if p else v for p, v in zip(processors, values, strict=True))
        cursor.execute(self._statement(len(deliveries)), params)
        if self._postgres:
            return {event_id for (event_id,) in cursor.fetchall()}
        inserted = cursor.rowcount
        if inserted == len(deliveries):
            return {delivery.event_id for delivery in deliveries}
        if inserted <= 0:
            return set()
        last = cursor.lastrowid
        cursor.execute(
            f"SELECT event_id FROM {INBOX.name} WHERE id BETWEEN ? AND ?",
            (last - inserted + 1, last),
        )
        return {event_id for (event_id,) in cursor.fetchall()}

    def _statement(self, size: int) -> str:
        statement = self._statements.get(size)
        if statement is None:
            row = "(" + ", ".join([self._marker] * len(COLUMNS)) + ")"
            statement = (
                f"INSERT INTO {INBOX.name} ({', '.join(COLUMNS)}) VALUES "
                + ", ".join([row] * size)
                + " ON CONFLICT (event_id) DO NOTHING"
                + (" RETURNING event_id" if self._postgres else "")
            )
            self._statements[size] = statement
        return statement

    def _connection(self) -> _Held:
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None and time.monotonic() - held.used_at > IDLE_RETURN_S:
            self._forget(held)
            held.release()
            held = None
        if held is None:
            held = _Held(self._engine.raw_connection(), postgres=self._postgres)
            self._local.held = held
            with self._lock:
                self._held.append(held)
        return held

    def _failed(self, held: _Held, cursor: Any, exc: Exception) -> bool:
        """Give the connection back after ``exc``; whether it is gone (then dropped)."""
        self._forget(held)
        if cursor is not None:
            with contextlib.suppress(Exception):  # gone with its connection
                cursor.close()
        dialect = self._engine.dialect
        gone = isinstance(exc, dialect.loaded_dbapi.Error) and dialect.is_disconnect(
            exc, held.dbapi, cursor
        )
        held.release(invalidate=gone)
        return gone

    def _forget(self, held: _Held) -> None:
        self._local.held = None
        with self._lock:
            if held in self._held:
                self._held.remove(held)

    def _wrapped(self, exc: Exception, *, gone: bool) -> Exception:
        dialect = self._engine.dialect
        if isinstance(exc, DBAPIError) or not isinstance(exc, dialect.loaded_dbapi.Error):
            return exc
        return DBAPIError.instance(
            STATEMENT_NAME,
            None,
            exc,
            dialect.loaded_dbapi.Error,
            connection_invalidated=gone,
            dialect=dialect,
            ismulti=False,
        )


class _Held:
    """A checked-out pool connection, in autocommit for as long as a writer holds it."""

    def __init__(self, fairy: Any, *, postgres: bool) -> None:
        self.fairy = fairy
        self.dbapi: Any = fairy.dbapi_connection
        self.postgres = postgres
        self.used_at = time.monotonic()
        # SQLite's connections are in autocommit already (isolation_level None,
        # orderfsm's engine issues BEGIN itself); psycopg's are switched here.
        if postgres:
            self.dbapi.autocommit = True

    def release(self, *, invalidate: bool = False) -> None:
        if invalidate:
            self.fairy.invalidate()
        elif self.postgres:
            try:
                self.dbapi.autocommit = False
            except Exception:  # a broken connection: the pool must not keep it
                self.fairy.invalidate()
        self.fairy.close()


def _distinct(deliveries: Sequence[Delivery]) -> list[Delivery]:
    """One delivery per event id, the first of repeated ones (as the group answers them)."""
    seen: dict[str, Delivery] = {}
    for delivery in deliveries:
        seen.setdefault(delivery.event_id, delivery)
    return list(seen.values())
