"""The ``pg_schema_url`` fixture gives each test a private schema and drops it after."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

CONFTEST = Path(__file__).parents[1] / "conftest.py"


def _schema_exists(url: str, schema: str) -> bool:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                sa.text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s"),
                {"s": schema},
            ).first()
    finally:
        engine.dispose()
    return found is not None


def test_tables_created_through_the_url_live_in_a_fresh_private_schema(
    pg_schema_url: str,
) -> None:
    engine = sa.create_engine(pg_schema_url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
            assert schema.startswith("orderfsm_test_")
            tables_before = conn.execute(
                sa.text("SELECT count(*) FROM information_schema.tables WHERE table_schema = :s"),
                {"s": schema},
            ).scalar_one()
            assert tables_before == 0

            conn.execute(sa.text("CREATE TABLE probe (id integer PRIMARY KEY, note text)"))
            conn.execute(sa.text("INSERT INTO probe VALUES (1, 'hello'), (2, 'world')"))

        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, note FROM probe ORDER BY id")).all()
            where = "SELECT table_schema FROM information_schema.tables WHERE table_name = 'probe'"
            home = conn.execute(sa.text(where)).scalars().all()
    finally:
        engine.dispose()

    assert [tuple(row) for row in rows] == [(1, "hello"), (2, "world")]
    assert home == [schema]


def test_the_schema_is_dropped_when_the_test_using_it_ends(
    postgres_url: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The copied conftest loads tests/gates.py as plugin ``tests.gates``.
    monkeypatch.setenv("PYTHONPATH", str(CONFTEST.parents[1]))
    # Run a real test that uses the fixture, in a pytest session of its own,
    # so that the fixture's teardown has happened when we look afterwards.
    record = pytester.path / "schema.txt"
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(
        test_inner=f"""
        import sqlalchemy as sa
        from sqlalchemy.pool import NullPool

        def test_inner(pg_schema_url):
            engine = sa.create_engine(pg_schema_url, poolclass=NullPool)
            with engine.begin() as conn:
                conn.execute(sa.text("CREATE TABLE probe (id integer)"))
                conn.execute(sa.text("INSERT INTO probe VALUES (1)"))
                schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
            engine.dispose()
            with open({str(record)!r}, "w") as out:
                out.write(schema)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)

    schema = record.read_text()
    assert schema.startswith("orderfsm_test_")
    assert not _schema_exists(postgres_url, schema)
