"""Opening a database: the URL chooses SQLite or PostgreSQL, one code path serves both.

SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE`` for every writing
transaction (SQLAlchemy's documented pysqlite recipe), so a read-then-write
waits for the lock instead of failing at once with "database is locked"; a
connection marked read-only (:data:`READ_ONLY_OPTION`) begins a deferred
transaction, which takes no writer lock. PostgreSQL goes
through psycopg 3; the order row is locked with ``SELECT ... FOR UPDATE`` by
the repository.

PostgreSQL's pool does not ping (``pool_pre_ping`` cost a round trip per
transaction, 10% of a worker's CPU). A pooled connection is checked locally
when it is checked out instead (:func:`_pg_checkout`; a connection kept
between transactions, :mod:`~orderfsm.persistence.kept`, when it is taken up
again): one the server has
closed or written to while idle (a restart's "terminating connection", or its
EOF) is readable, so it is discarded and a fresh one taken, with no round
trip. A connection that dies unseen fails its first statement: the
transaction rolls back, SQLAlchemy renews the pool, and a unit of work is run
once more on a fresh connection (:func:`~orderfsm.service.retry.run_alone`);
other callers see the :class:`~orderfsm.errors.StorageError` they already
handled when a server died right after a ping.
"""

from __future__ import annotations

import select
from datetime import UTC, datetime
from typing import Any

from pydantic_core import from_json, to_json
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from orderfsm.errors import DatabaseUnavailable, StorageError
from orderfsm.persistence import kept
from orderfsm.persistence.driver import run_plain

OUTAGE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, DatabaseUnavailable, StorageError)
"""What a database that is down or unusable for now raises; callers outside
persistence (the worker) wait these out without importing SQLAlchemy."""

Database = Engine
"""An opened database (SQLAlchemy's engine): what the service and dispatchers hold."""

_EXPECTED = "use sqlite:///FILE or postgresql://USER@HOST:PORT/DATABASE"
SUPPORTED_DRIVERS = {"sqlite": {"pysqlite"}, "postgresql": {"psycopg"}}
"""The drivers orderfsm installs and is tested with, per database."""
READ_ONLY_OPTION = "orderfsm_read_only"
"""Execution option of a connection that only reads (SQLite: ``BEGIN``, not ``IMMEDIATE``)."""
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another writer before giving up."""


def normalize_url(url: str | URL) -> URL:
    """Accept ``postgresql://`` and ``postgres://`` as psycopg 3 URLs; refuse other databases."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"not a database URL: {url!r} ({_EXPECTED})") from exc
    except ValueError:  # a port that is not a number, an unclosed [IPv6 host
        raise DatabaseUnavailable(
            "malformed database URL: its host or port cannot be read (the port is a number, "
            f"an IPv6 host is written [ADDRESS]); {_EXPECTED}"
        ) from None
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_DRIVERS:
        shown = parsed.render_as_string(hide_password=True)
        raise DatabaseUnavailable(f"unsupported database {shown!r}: {_EXPECTED}")
    driver = parsed.get_driver_name()
    if driver not in SUPPORTED_DRIVERS[backend]:
        usable = " or ".join(
            [f"{backend}://"]
            + [f"{backend}+{name}://" for name in sorted(SUPPORTED_DRIVERS[backend])]
        )
        raise DatabaseUnavailable(f"unsupported driver {driver}: use {usable}")
    return parsed


def is_sqlite(engine: Engine) -> bool:
    """True when ``engine`` talks to SQLite."""
    return engine.dialect.name == "sqlite"


def json_text(value: Any) -> str:
    """A JSON column's value as text, by pydantic-core (a dependency already).

    Every order save writes the DR snapshot (a kilobyte or two); this
    serializer is several times faster than ``json.dumps`` and, like the
    payload parser, never writes NaN or Infinity.
    """
    return to_json(value).decode()


def open_engine(url: str | URL, *, pool_size: int = 5) -> Engine:
    """A SQLAlchemy engine set up for orderfsm's transactions."""
    parsed = normalize_url(url)
    json_codec: dict[str, Any] = {"json_serializer": json_text, "json_deserializer": from_json}
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            poolclass=NullPool if parsed.database in (None, "", ":memory:") else None,
            **json_codec,
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        kept.enable(engine, _always_open)
        return engine
    engine = create_engine(parsed, pool_size=pool_size, **json_codec)
    event.listen(engine, "checkout", _pg_checkout)
    kept.enable(engine, _pg_still_open)
    return engine


def _pg_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled psycopg connection the server closed or wrote to while it was idle.

    Raising ``DisconnectionError`` makes the pool discard it and connect anew.
    """
    problem = _pg_idle_problem(dbapi_connection)
    if problem is not None:
        raise DisconnectionError(problem)


def _pg_still_open(dbapi_connection: Any) -> bool:
    return _pg_idle_problem(dbapi_connection) is None


def _always_open(_dbapi_connection: Any) -> bool:
    return True  # a SQLite file's connection has no server to lose


def _pg_idle_problem(dbapi_connection: Any) -> str | None:
    """Why an idle psycopg connection is no longer usable, or None.

    An idle connection has nothing to read unless the server ended it (a
    FATAL message such as 57P01, or EOF). Local only (``poll`` with no
    timeout): no round trip.
    """
    if dbapi_connection.closed or dbapi_connection.broken:
        return "connection closed while pooled"
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
    if poller.poll(0):
        return "the server closed the connection while it was pooled"
    return None


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy's "begin" event (pysqlite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A reader in WAL mode sees one snapshot without blocking writers; only
    # a transaction that may write queues for the writer lock up front.
    read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
    run_plain(connection, "BEGIN" if read_only else "BEGIN IMMEDIATE")


def utcnow() -> datetime:
    """Now, in UTC (the tables store aware UTC datetimes)."""
    return datetime.now(UTC)


def to_db_time(moment: datetime | None) -> datetime | None:
    """Any datetime as aware UTC; a naive one is taken to be UTC already."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
