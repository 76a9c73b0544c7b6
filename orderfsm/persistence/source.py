"""Which database a part works on: the one the host's ``orderfsm.Engine`` holds.

The dispatcher and the webhook receiver must not need the engine (they sit
beside it), so they accept anything that holds orderfsm's SQLAlchemy engine
as ``db``, as :class:`orderfsm.Engine` does, or that SQLAlchemy engine itself.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Engine as DbEngine

from orderfsm.errors import ConfigurationError


class HoldsDatabase(Protocol):
    """An object holding orderfsm's SQLAlchemy engine as ``db`` (e.g. ``orderfsm.Engine``)."""

    @property
    def db(self) -> DbEngine:
        """The SQLAlchemy engine of orderfsm's database."""
        ...


def database_of(database: DbEngine | HoldsDatabase, *, needed_by: str) -> DbEngine:
    """The SQLAlchemy engine behind ``database``; a one-line error naming ``needed_by`` else."""
    if isinstance(database, DbEngine):
        return database
    held = getattr(database, "db", None)
    if isinstance(held, DbEngine):
        return held
    raise ConfigurationError(
        f"{needed_by} needs an orderfsm.Engine or a SQLAlchemy engine, "
        f"not {type(database).__name__}"
    )
