"""Schema migrations through the real ``orderfsm db`` console script, on SQLite and PostgreSQL.

A repeated ``db upgrade``/``db current`` and three of the four refused URLs
call the same entry point in process (tests/support/cli_in_process.py); the
first of each and the concurrent upgrades are real processes.
"""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import make_url, text

from orderfsm.errors import DatabaseUnavailable, SchemaOutOfDate
from orderfsm.persistence import ensure_current, open_engine, upgrade
from orderfsm.persistence.schema import alembic_config, head_revision
from orderfsm.persistence.tables import METADATA
from orderfsm.service import Engine
from tests.support.cli import ORDERFSM
from tests.support.cli_in_process import Ran, run_orderfsm_in_process
from tests.support.processes import reap

TABLES = {"orders", "order_history", "outbox", "inbox", "parked_signals"}


def orderfsm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ORDERFSM, *args], capture_output=True, text=True, timeout=120)


def table_names(url: str) -> set[str]:
    db = open_engine(url)
    try:
        with db.connect() as connection:
            return set(db.dialect.get_table_names(connection))
    finally:
        db.dispose()


def test_db_upgrade_brings_an_empty_database_to_head_and_db_current_says_so(db_url: str) -> None:
    head = head_revision()
    before = orderfsm("db", "current", "--db", db_url)
    assert before.returncode == 0, before.stderr
    assert f"database: empty; package: {head} (behind: run orderfsm db upgrade)" in before.stdout

    first = orderfsm("db", "upgrade", "--db", db_url)
    assert first.returncode == 0, first.stderr
    assert f"schema: empty -> {head}" in first.stdout
    assert table_names(db_url) >= TABLES

    again = run_orderfsm_in_process("db", "upgrade", "--db", db_url)
    assert again.returncode == 0, again.stderr
    assert f"schema: {head} -> {head}" in again.stdout

    after = run_orderfsm_in_process("db", "current", "--db", db_url)
    assert f"database: {head}; package: {head} (up to date)" in after.stdout
    with Engine.open(db_url) as engine:
        assert engine.submit("UP1", "CO1").state is not None


def test_the_migrations_create_exactly_the_tables_the_models_declare(db_url: str) -> None:
    db = open_engine(db_url)
    try:
        upgrade(db)
        with db.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, METADATA)
    finally:
        db.dispose()
    assert differences == []


def test_the_engine_refuses_an_unmigrated_database_and_the_command_it_names_fixes_it(
    db_url: str,
) -> None:
    db = open_engine(db_url)
    try:
        upgrade(db)
        command.downgrade(alembic_config(db), "base")
    finally:
        db.dispose()

    with pytest.raises(SchemaOutOfDate, match="orderfsm db upgrade --db") as refused:
        Engine.open(db_url)
    fix = shlex.split(str(refused.value).split("run: ", 1)[1])
    assert fix[:3] == ["orderfsm", "db", "upgrade"]

    fixed = orderfsm(*fix[1:])
    assert fixed.returncode == 0, fixed.stderr
    with Engine.open(db_url) as engine:
        assert list(engine.orders()) == []


def test_a_database_with_tables_but_no_revision_is_refused_even_when_asked_to_create(
    db_url: str,
) -> None:
    db = open_engine(db_url)
    with db.begin() as connection:
        connection.execute(text("CREATE TABLE orders (id INTEGER PRIMARY KEY)"))
    db.dispose()
    with pytest.raises(SchemaOutOfDate, match=r"no revision.*orderfsm db upgrade --db"):
        Engine.open(db_url, create_if_empty=True)


def test_a_database_migrated_by_a_newer_orderfsm_asks_for_a_newer_orderfsm(db_url: str) -> None:
    db = open_engine(db_url)
    try:
        upgrade(db)
        with db.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    finally:
        db.dispose()
    with pytest.raises(SchemaOutOfDate, match=r"from_the_future.*upgrade orderfsm"):
        Engine.open(db_url)


def test_a_behind_database_stops_the_cli_with_one_line_naming_the_fix(sqlite_url: str) -> None:
    db = open_engine(sqlite_url)
    with db.begin() as connection:
        connection.execute(text("CREATE TABLE orders (id INTEGER PRIMARY KEY)"))
    db.dispose()
    shown = orderfsm("show", "UP1", "--db", sqlite_url)
    assert shown.returncode == 1
    assert shown.stderr.startswith("error: database schema is at no revision")
    assert f"run: orderfsm db upgrade --db {sqlite_url}" in shown.stderr
    assert "Traceback" not in shown.stderr


@pytest.mark.parametrize(
    ("url", "says", "real_script"),
    [
        ("mysql://shop@localhost/shop", "unsupported database", False),
        ("not a url", "not a database URL", False),
        (
            "sqlite:////no/such/folder/shop.db",
            "cannot open sqlite:////no/such/folder/shop.db",
            False,
        ),
        (
            "postgresql://postgres:secret@127.0.0.1:1/shop",
            "cannot open postgresql+psycopg://",
            True,
        ),
    ],
)
def test_a_database_that_cannot_be_opened_is_one_clear_error(
    url: str, says: str, real_script: bool
) -> None:
    with pytest.raises(DatabaseUnavailable, match=re.escape(says)) as refused:
        Engine.open(url, create_if_empty=True)
    assert "secret" not in str(refused.value)
    run = orderfsm if real_script else run_orderfsm_in_process
    upgraded: subprocess.CompletedProcess[str] | Ran = run("db", "upgrade", "--db", url)
    assert upgraded.returncode == 1
    assert upgraded.stderr.startswith(f"error: {says}")
    assert "Traceback" not in upgraded.stderr and "secret" not in upgraded.stderr


def test_four_processes_upgrading_one_empty_database_at_once_all_succeed(db_url: str) -> None:
    upgrades = [
        subprocess.Popen(
            [ORDERFSM, "db", "upgrade", "--db", db_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        results = [(p.wait(timeout=120), *p.communicate(timeout=120)) for p in upgrades]
    finally:
        for p in upgrades:
            reap(p)
    assert [code for code, _, _ in results] == [0, 0, 0, 0], [err for _, _, err in results]
    head = head_revision()
    assert sum(f"schema: empty -> {head}" in out for _, out, _ in results) >= 1
    with Engine.open(db_url) as engine:
        assert list(engine.orders()) == []


def test_the_fix_command_never_shows_the_database_password(pg_schema_url: str) -> None:
    with_secret = make_url(pg_schema_url).set(password="secret")
    url = with_secret.render_as_string(hide_password=False)
    with pytest.raises(SchemaOutOfDate, match=re.escape(":***@")) as from_engine:
        Engine.open(url)
    db = open_engine(url)
    try:
        with pytest.raises(SchemaOutOfDate, match=re.escape(":***@")) as from_caller:
            ensure_current(db, url_for_message=url)
    finally:
        db.dispose()
    assert "secret" not in str(from_engine.value) + str(from_caller.value)
