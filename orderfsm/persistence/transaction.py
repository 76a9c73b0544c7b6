"""One database transaction, and the storage boundary: what escapes it is typed.

``with Transaction(db) as tx: ...; tx.commit()``; leaving without commit
rolls back. When the block ends, whatever the database (or a store) raised
is sorted, in this one place:

* a collision with another worker becomes :attr:`Transaction.collision` (the
  exception is swallowed: nothing was committed, and running the unit of
  work again from the start can succeed). Collisions are PostgreSQL's
  serialization failure (``40001``), deadlock (``40P01``), lock not
  available (``55P03``) and unique violation (``23505``: two workers
  inserted the same order, history row or parked event at once), read from
  psycopg 3's ``sqlstate``; SQLite's "database is locked" / busy (once the
  busy timeout ran out) and UNIQUE failures; and the stores' internal
  :class:`~orderfsm.persistence.contention.Contention`;
* any other SQLAlchemy error becomes :class:`~orderfsm.errors.StorageError`
  naming the operation (the original is its ``__cause__``);
* anything else (a bug, an injected fault) propagates unchanged.

:attr:`Transaction.lost_before_commit` tells a caller that its block failed
because the connection broke before ``COMMIT`` was sent: nothing was
committed, so the block may run again on a fresh connection (a broken
``COMMIT`` may have committed, and is never said to be safe to retry).

``read_only`` transactions take no writer lock on SQLite (a deferred
``BEGIN``): readers never wait for writers in WAL mode, nor block them.

A writing transaction that ends without an error hands its connection to
:mod:`~orderfsm.persistence.kept`, and the next one takes it up again
instead of checking one out of the pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

from sqlalchemy import Connection, Engine, RootTransaction
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from orderfsm.errors import StorageError
from orderfsm.persistence import kept
from orderfsm.persistence.contention import Contention
from orderfsm.persistence.database import READ_ONLY_OPTION
from orderfsm.persistence.repository import Repository

RETRIED_SQLSTATES = frozenset({"40001", "40P01", "55P03", "23505"})
"""PostgreSQL error codes that mean "another transaction got there first"."""

_SQLITE_RETRIED = frozenset(
    {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"}
)


@dataclass(frozen=True, slots=True)
class Collision:
    """A unit of work met another worker's; nothing of it was committed. Run it again."""

    reason: str


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` means a collision with another worker, so a retry can succeed."""
    if isinstance(exc, Contention):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    original = exc.orig
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in RETRIED_SQLSTATES
    if getattr(original, "sqlite_errorname", None) in _SQLITE_RETRIED:
        return True
    return "database is locked" in str(original)


def storage_error(operation: str, exc: SQLAlchemyError) -> StorageError:
    """``exc`` as the one error callers see: its first line, never the URL or parameters."""
    if isinstance(exc, DBAPIError):
        text = str(exc.orig).strip()
        detail = text.splitlines()[0] if text else type(exc.orig).__name__
        return StorageError(operation, detail, connection_lost=exc.connection_invalidated)
    return StorageError(operation, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


class Transaction:
    """One transaction on ``db`` and its :class:`Repository`; see the module docstring."""

    def __init__(self, db: Engine, operation: str, *, read_only: bool = False) -> None:
        self._db = db
        self._operation = operation
        self._read_only = read_only
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None
        self._store: Repository | None = None
        self.collision: Collision | None = None
        """Set when the block ended in a collision (the block's result is then void)."""
        self._commit_sent = False
        self.lost_before_commit = False
        """True when the block failed on a broken connection before ``COMMIT`` was sent."""
        self._shelf: kept.Shelf | None = None
        """Where a kept connection goes back (None: checked out and closed as usual)."""

    def __enter__(self) -> Transaction:
        try:
            if self._read_only:
                connection = self._db.connect()
                connection.execution_options(**{READ_ONLY_OPTION: True})
            elif kept.keeps(self._db):
                connection, self._shelf = kept.take(self._db)
            else:
                connection = self._db.connect()
            self._connection = connection
            self._transaction = connection.begin()
        except SQLAlchemyError as exc:
            self._close()
            raise storage_error(self._operation, exc) from exc
        self._store = Repository(connection)
        return self

    @property
    def store(self) -> Repository:
        """The store bound to this transaction."""
        assert self._store is not None, "use the transaction in a with block"
        return self._store

    def commit(self) -> None:
        """Make everything done in this transaction durable."""
        assert self._transaction is not None
        self._commit_sent = True
        self._transaction.commit()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        try:
            self._close(keep=exc is None)
        except SQLAlchemyError as closing:  # pragma: no cover - a connection lost at rollback
            exc = exc or closing
        if exc is None:
            return False
        if is_transient(exc):
            self.collision = Collision(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            return True
        if isinstance(exc, SQLAlchemyError):
            failed = storage_error(self._operation, exc)
            self.lost_before_commit = failed.connection_lost and not self._commit_sent
            if failed.connection_lost and self._shelf is not None:
                kept.release_all(self._db)  # they may be as dead: the next unit checks out
            raise failed from exc
        return False

    def _close(self, *, keep: bool = False) -> None:
        transaction, connection = self._transaction, self._connection
        self._connection = self._transaction = self._store = None
        try:
            if transaction is not None and transaction.is_active:
                transaction.rollback()
        except BaseException:
            keep = False
            raise
        finally:
            if connection is not None:
                if keep and self._shelf is not None:
                    kept.give_back(self._db, connection, self._shelf)
                else:
                    connection.close()
