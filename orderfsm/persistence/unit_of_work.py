"""A unit of work: one database transaction that rolls back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine, RootTransaction

from orderfsm.persistence.repository import Repository


class UnitOfWork:
    """``with UnitOfWork(engine) as uow: ...; uow.commit()``; leaving without commit rolls back."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None
        self._repository: Repository | None = None

    def __enter__(self) -> UnitOfWork:
        self._connection = self._engine.connect()
        self._transaction = self._connection.begin()
        self._repository = Repository(self._connection)
        return self

    @property
    def repo(self) -> Repository:
        """The repository bound to this transaction."""
        assert self._repository is not None, "use the unit of work in a with block"
        return self._repository

    def commit(self) -> None:
        """Make everything done in this unit of work durable."""
        assert self._transaction is not None
        self._transaction.commit()

    def rollback(self) -> None:
        """Discard everything done in this unit of work."""
        if self._transaction is not None and self._transaction.is_active:
            self._transaction.rollback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        if self._connection is not None:
            self._connection.close()
        self._connection = self._transaction = self._repository = None
