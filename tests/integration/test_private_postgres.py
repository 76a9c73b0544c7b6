"""The private PostgreSQL server outage tests use: it stops, crashes and comes back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.support.pg_cluster import PrivateCluster


def _answer(url: str) -> int:
    engine = sa.create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT 41 + 1")).scalar_one())
    finally:
        engine.dispose()


def test_a_private_server_answers_stops_and_recovers_after_a_crash(
    private_postgres: PrivateCluster,
) -> None:
    assert _answer(private_postgres.url) == 42
    engine = sa.create_engine(private_postgres.url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE kept (n int)"))
        conn.execute(sa.text("INSERT INTO kept VALUES (7)"))
    engine.dispose()

    private_postgres.stop(mode="immediate")
    assert not private_postgres.is_up()
    with pytest.raises(sa.exc.OperationalError):
        _answer(private_postgres.url)

    private_postgres.start()
    engine = sa.create_engine(private_postgres.url, poolclass=NullPool)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT n FROM kept")).scalar_one() == 7
    engine.dispose()
