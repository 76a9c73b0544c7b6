"""``engine`` fixtures on other databases than the default SQLite file.

tests/conftest.py's ``engine`` is the shipped plugin's ``orderfsm_engine`` (a
fresh SQLite file, the same file as ``sqlite_url``). A module that wants its
engine elsewhere imports one of these; each registers itself as ``engine``::

    from tests.support.engines import engine_on_each_database  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from orderfsm.persistence import open_engine, upgrade
from orderfsm.persistence.database import Database
from orderfsm.service import Engine


@contextmanager
def migrated(url: str) -> Iterator[Database]:
    """The SQLAlchemy engine orderfsm opens for ``url``, migrated to head; disposed after."""
    database = open_engine(url)
    upgrade(database)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture(name="engine")
def engine_on_each_database(db_url: str) -> Iterator[Engine]:
    """An engine on each kind of database in turn: a SQLite file, then a PostgreSQL schema."""
    with Engine.open(db_url, create_if_empty=True) as engine:
        yield engine


@pytest.fixture(name="engine")
def engine_on_postgres(pg_schema_url: str) -> Iterator[Engine]:
    """An engine on a fresh PostgreSQL schema of its own."""
    with Engine.open(pg_schema_url, create_if_empty=True) as engine:
        yield engine
