"""The hot statements sent through the DB-API cursor, without Core's per-execution work.

Core spends more CPU per execution than SQLite takes to run the statement
(its cache lookup, parameter and result processing, events: about 18 us
against 2 us for the same ``SELECT``). The statements a unit of work runs
for every event are therefore compiled once per dialect from their Core
form (:mod:`orderfsm.persistence.statements`, so the SQL text is exactly
what SQLAlchemy would send) and run on the connection's DB-API cursor, with
SQLAlchemy's own bind and result processors for their columns' types: the
values stored and read are the same as through Core. On PostgreSQL the text
never changes, so psycopg prepares each statement after a few runs.

What Core would give stays the same:

* a driver error becomes SQLAlchemy's ``DBAPIError`` subclass for it, with
  the driver's exception as ``orig`` (what
  :class:`~orderfsm.persistence.transaction.Transaction` sorts), and a lost
  connection is invalidated and flagged as such;
* when anyone listens for statements (``before_cursor_execute``,
  ``after_cursor_execute``, ``handle_error``: tests' seams, the benchmark's
  counts), the same text goes through ``exec_driver_sql`` so they see it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Compiled:
    """One statement compiled for one dialect, ready for the DB-API cursor."""

    sql: str
    positions: tuple[str, ...] | None
    """Parameter names in order (``qmark``: SQLite), or None for named (psycopg's ``%(x)s``)."""
    binds: tuple[tuple[str, Processor], ...]
    results: tuple[str, ...]
    result_processors: tuple[tuple[int, Processor], ...]
    ordered: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None
    """Picks the positional values out of a mapping (None: the driver takes names)."""

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """``values`` as the driver takes them, each through its column type's processor."""
        processed = dict(values)
        for name, process in self.binds:
            processed[name] = process(processed[name])
        return processed if self.ordered is None else self.ordered(processed)

    def row(self, raw: Sequence[Any]) -> dict[str, Any]:
        """A fetched row as a mapping of its result columns' names to typed values."""
        values = list(raw)
        for at, process in self.result_processors:
            values[at] = process(values[at])
        return dict(zip(self.results, values, strict=True))


_COMPILED: WeakKeyDictionary[Dialect, dict[tuple[int, bool], Compiled]] = WeakKeyDictionary()
_KEPT: dict[int, ClauseElement] = {}
"""The statements compiled so far, held so that their ``id`` is never reused."""


def compiled(
    statement: ClauseElement,
    dialect: Dialect,
    *,
    column_keys: Sequence[str] | None = None,
    many: bool = False,
) -> Compiled:
    """``statement`` compiled for ``dialect`` (once: later calls find it)."""
    per_dialect = _COMPILED.setdefault(dialect, {})
    key = (id(statement), many)
    found = per_dialect.get(key)
    if found is not None:
        return found
    _KEPT[id(statement)] = statement
    form = statement.compile(
        dialect=dialect,
        column_keys=None if column_keys is None else list(column_keys),
        for_executemany=many,
    )
    form = cast(SQLCompiler, form)
    # None of ours has Python-side column defaults (Core would compute them per execution).
    assert not (form.insert_prefetch or form.update_prefetch), form.string
    # SQLAlchemy's own processors for the columns' types: what Core would apply.
    processors = form._bind_processors
    names = form.positiontup
    result_columns = form._result_columns
    result_processors = []
    for at, column in enumerate(result_columns):
        process = column.type._cached_result_processor(dialect, None)
        if process is not None:
            result_processors.append((at, process))
    made = Compiled(
        sql=form.string,
        positions=None if names is None else tuple(names),
        binds=tuple(
            (name, cast(Processor, process)) for name, process in processors.items() if process
        ),
        results=tuple(column.keyname for column in result_columns),
        result_processors=tuple(result_processors),
        ordered=None if names is None else _picker(tuple(names)),
    )
    per_dialect[key] = made
    return made


def _picker(names: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    if len(names) == 1:
        (only,) = names
        return lambda values: (values[only],)
    return cast(Callable[[Mapping[str, Any]], tuple[Any, ...]], itemgetter(*names))


def _watched(connection: Connection) -> bool:
    dispatch = connection.dispatch
    return bool(
        dispatch.before_cursor_execute
        or dispatch.after_cursor_execute
        or connection.dialect.dispatch.handle_error
    )


class Runner:
    """Runs compiled statements on one connection (one transaction's)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self._watched = _watched(connection)
        """Listened to when the transaction began: statements then go through SQLAlchemy."""

    def compiled(
        self,
        statement: ClauseElement,
        *,
        column_keys: Sequence[str] | None = None,
        many: bool = False,
    ) -> Compiled:
        """``statement`` compiled for this connection's dialect."""
        return compiled(statement, self.dialect, column_keys=column_keys, many=many)

    def execute(self, form: Compiled, values: Mapping[str, Any]) -> Any:
        """Run ``form`` once with ``values``; the DB-API cursor (or SQLAlchemy's result)."""
        parameters = form.parameters(values)
        if self._watched:
            return self.connection.exec_driver_sql(form.sql, parameters)
        cursor = self._cursor()
        try:
            cursor.execute(form.sql, parameters)
        except self.dialect.loaded_dbapi.Error as exc:
            raise self._translated(form, parameters, exc, cursor) from exc
        return cursor

    def execute_many(self, form: Compiled, rows: Sequence[Mapping[str, Any]]) -> Any:
        """Run ``form`` once per row (``executemany``); one row is one ``execute``."""
        if len(rows) == 1:
            return self.execute(form, rows[0])
        parameters = [form.parameters(values) for values in rows]
        if self._watched:
            return self.connection.exec_driver_sql(form.sql, parameters)
        cursor = self._cursor()
        try:
            cursor.executemany(form.sql, cast(Any, parameters))
        except self.dialect.loaded_dbapi.Error as exc:
            raise self._translated(form, parameters, exc, cursor) from exc
        return cursor

    def fetch_one(self, form: Compiled, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row ``form`` selects with ``values``, typed, or None."""
        cursor = self.execute(form, values)
        try:
            raw = cursor.fetchone()
        finally:
            cursor.close()
        return None if raw is None else form.row(raw)

    def fetch_all(self, form: Compiled, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row ``form`` selects with ``values``, typed, in the order the database gives."""
        cursor = self.execute(form, values)
        try:
            raws = cursor.fetchall()
        finally:
            cursor.close()
        return [form.row(raw) for raw in raws]

    def changed(self, form: Compiled, values: Mapping[str, Any]) -> int:
        """Run a write once; the number of rows it changed."""
        cursor = self.execute(form, values)
        count = int(cursor.rowcount)
        cursor.close()
        return count

    def write(self, form: Compiled, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run a write once per row."""
        self.execute_many(form, rows).close()

    def _cursor(self) -> Any:
        # Asked of SQLAlchemy each time: an invalidated connection raises here.
        raw = self.connection.connection.dbapi_connection
        assert raw is not None
        return raw.cursor()

    def _translated(
        self, form: Compiled, parameters: Any, exc: Exception, cursor: Any
    ) -> BaseException:
        return translated(self.connection, form.sql, parameters, exc, cursor)


def run_plain(connection: Connection, statement: str) -> None:
    """Run ``statement`` (no parameters, no rows: ``BEGIN IMMEDIATE``) on the DB-API cursor."""
    if _watched(connection):
        connection.exec_driver_sql(statement)
        return
    raw = connection.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.execute(statement)
    except connection.dialect.loaded_dbapi.Error as exc:
        raise translated(connection, statement, (), exc, cursor) from exc
    finally:
        cursor.close()


def translated(
    connection: Connection, statement: str, parameters: Any, exc: Exception, cursor: Any
) -> BaseException:
    """``exc`` as SQLAlchemy would have raised it; a lost connection is invalidated."""
    dialect = connection.dialect
    raw = connection.connection.dbapi_connection
    lost = dialect.is_disconnect(cast(Any, exc), raw, cursor)
    if lost:
        connection.invalidate(exc)
    return DBAPIError.instance(
        statement,
        parameters,
        exc,
        dialect.loaded_dbapi.Error,
        hide_parameters=True,
        connection_invalidated=lost,
        dialect=dialect,
    )
