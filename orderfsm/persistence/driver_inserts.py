"""A batch's many-row INSERTs sent straight through the DB-API cursor (SQLite).

SQLAlchemy Core spends, per ``executemany``, more CPU preparing the rows
(compiled-cache lookup, parameter construction, one type processor call per
value through generic machinery) than SQLite spends storing them. A batch's
flush sends hundreds of history and outbox rows at a time, so it builds them
here: the statement text once per table, the rows as tuples, each value
converted by the very bind processor SQLAlchemy would have used for its column
(the dates' text form, the JSON serializer of the engine), so the stored
bytes are the same. The unique indexes still judge every row: a violation is
raised as SQLAlchemy raises it (``exec_driver_sql`` wraps the DB-API error),
and the transaction collides exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Dialect, Table


@dataclass(frozen=True, slots=True)
class DriverInsert:
    """``INSERT INTO table (columns) VALUES (?, ...)`` and a suffix; each column's processor."""

    sql: str
    columns: tuple[str, ...]
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]
    """(position, processor) of the columns whose values SQLAlchemy converts."""

    def execute(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Send ``rows`` (values dicts of :mod:`~orderfsm.persistence.rows`) in one executemany."""
        columns, processors = self.columns, self.processors
        params: list[tuple[Any, ...]] = []
        for row in rows:
            values = [row[name] for name in columns]
            for index, process in processors:  # None too: each processor judges it
                values[index] = process(values[index])
            params.append(tuple(values))
        connection.exec_driver_sql(self.sql, params)


_BUILT: WeakKeyDictionary[Dialect, dict[tuple[str, tuple[str, ...], str], DriverInsert]]
_BUILT = WeakKeyDictionary()
"""Per dialect (one per engine: its JSON serializer), the inserts built for it."""


def takes_driver_inserts(connection: Connection) -> bool:
    """True where :class:`DriverInsert` statements can run: SQLite's own driver (``?`` marks)."""
    dialect = connection.dialect
    return dialect.name == "sqlite" and dialect.paramstyle == "qmark"


def driver_insert(
    connection: Connection, table: Table, columns: Sequence[str], *, suffix: str = ""
) -> DriverInsert:
    """The insert of ``columns`` into ``table`` for ``connection``'s dialect (built once)."""
    dialect = connection.dialect
    key = (table.name, tuple(columns), suffix)
    known = _BUILT.setdefault(dialect, {})
    built = known.get(key)
    if built is None:
        quote = dialect.identifier_preparer.quote
        marks = ", ".join("?" for _ in columns)
        names = ", ".join(quote(name) for name in columns)
        processors = []
        for index, name in enumerate(columns):
            column_type = table.c[name].type
            process = column_type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors.append((index, process))
        built = DriverInsert(
            f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks}){suffix}",
            tuple(columns),
            tuple(processors),
        )
        known[key] = built
    return built
