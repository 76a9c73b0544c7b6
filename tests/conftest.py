"""Fixtures shared by every test folder: databases and Digital River payloads.

PostgreSQL comes from ``ORDERFSM_TEST_POSTGRES_URL`` (a SQLAlchemy URL such as
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), else from a local server
answering at that address (see tests/gates.py). Without either, tests that
need PostgreSQL are skipped on a developer's machine but fail under ``CI=true``,
so CI can never pass by silently skipping them. Each test that asks for
``pg_schema_url`` gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

DR_FIXTURES = Path(__file__).parent / "fixtures" / "dr"

pytest_plugins = ("pytester", "tests.gates")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that reaches PostgreSQL, so ``-m "not postgres"`` works."""
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def postgres_url(pytestconfig: pytest.Config) -> str:
    """The SQLAlchemy URL of the test PostgreSQL server (environment, else local)."""
    # Imported here: tests.gates is loaded as a plugin (pytest_plugins) first.
    from tests.gates import missing, postgres_choice

    choice = postgres_choice(pytestconfig)
    if choice.url is None:
        missing(choice.why)
    return choice.url


@contextmanager
def fresh_pg_schema(base_url: str) -> Iterator[str]:
    """Create a uniquely named schema; yield a URL whose connections use it; drop it."""
    # Imported here so that collecting tests never imports SQLAlchemy.
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    schema = f"orderfsm_test_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(base_url, poolclass=NullPool)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = sa.make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.begin() as conn:
                # A connection the test left open would otherwise hang the drop forever.
                conn.execute(sa.text("SET LOCAL lock_timeout = '30s'"))
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture
def pg_schema_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL URL whose connections see only a fresh, empty schema."""
    with fresh_pg_schema(postgres_url) as url:
        yield url


@pytest.fixture
def private_postgres() -> Iterator[PrivateCluster]:
    """A PostgreSQL server of the test's own, which it may stop, crash and restart.

    Never the shared server: see tests/support/pg_cluster.py. Without the server
    binaries this skips (fails under ``CI=true``).
    """
    from tests.gates import missing
    from tests.support.pg_cluster import INSTALL_POSTGRES, private_cluster, server_bin_dir

    bin_dir = server_bin_dir()
    if bin_dir is None:
        missing(INSTALL_POSTGRES)
    with private_cluster(bin_dir) as cluster:
        yield cluster


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLAlchemy URL of a SQLite file in the test's own temporary folder."""
    return f"sqlite:///{tmp_path / 'orderfsm.db'}"


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each kind in turn: a SQLite file, then a PostgreSQL schema."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_schema_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture(scope="session")
def dr_fixtures() -> Path:
    """The folder of real Digital River payloads (``api/``, ``events/``, README.md)."""
    return DR_FIXTURES


if TYPE_CHECKING:
    from orderfsm.service import Engine
    from tests.support.pg_cluster import PrivateCluster


@pytest.fixture
def engine(orderfsm_engine: Engine) -> Engine:
    """The shipped plugin's ``orderfsm_engine``: a fresh SQLite file (the file of ``sqlite_url``).

    A module that needs another database imports its ``engine`` from tests/support/engines.py.
    """
    return orderfsm_engine
