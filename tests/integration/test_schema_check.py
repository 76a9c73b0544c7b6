"""The schema check reads the head and the current revision without Alembic, as Alembic would.

Every command runs the check, so it skips importing Alembic (``schema``'s
docstring); these tests hold its answers to Alembic's own, and show that
anything it cannot read plainly is left to Alembic.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from orderfsm.persistence import schema


def test_the_head_is_alembics_head() -> None:
    assert schema.head_revision() == ScriptDirectory(str(schema.MIGRATIONS)).get_current_head()


def test_a_migration_file_it_cannot_read_leaves_the_head_to_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS, copy)
    merge = copy / "versions" / "0099_merge.py"
    merge.write_text('revision = "0099"\ndown_revision = ("0003", "0004")\n')
    head = schema._declared_head()
    assert head is not None
    monkeypatch.setattr(schema, "MIGRATIONS", copy)
    assert schema._declared_head() is None
    typed = copy / "versions" / "0099_merge.py"
    typed.write_text(f'revision: str = "0099"\ndown_revision: str | None = "{head}"\n')
    assert schema._declared_head() == "0099"


@pytest.mark.parametrize("migrated", [False, True])
def test_the_current_revision_is_what_alembic_reads(db_url: str, migrated: bool) -> None:
    engine = create_engine(db_url)
    try:
        if migrated:
            schema.upgrade(engine)
        with engine.connect() as connection:
            alembic_says = MigrationContext.configure(connection).get_current_revision()
        assert schema.current_revision(engine) == alembic_says
        assert alembic_says == (schema.head_revision() if migrated else None)
    finally:
        engine.dispose()


def test_two_version_rows_are_left_to_alembic_which_refuses_them(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        schema.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO alembic_version VALUES ('0003')"))
        with pytest.raises(Exception, match="more than one head"):
            schema.current_revision(engine)
    finally:
        engine.dispose()


def test_a_command_that_opens_a_database_does_not_import_alembic(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    schema.upgrade(engine)
    engine.dispose()
    probe = (
        "import sys\n"
        "from orderfsm import Engine\n"
        f"Engine.open({sqlite_url!r}).close()\n"
        "print(sorted(m for m in sys.modules if m.startswith('alembic')))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_opening_a_database_another_process_is_still_creating_waits_for_it(
    sqlite_url: str,
) -> None:
    """Four workers opening one new database at once: the later ones may read it half-migrated."""
    from orderfsm.service import Engine

    creator = create_engine(sqlite_url)
    schema.upgrade(creator, "0001")  # where the creating process has got to so far
    finisher = threading.Timer(0.5, schema.upgrade, args=(creator,))
    finisher.start()
    try:
        with Engine.open(sqlite_url, create_if_empty=True) as opened:
            assert schema.current_revision(opened.db) == schema.head_revision()
    finally:
        finisher.join()
        creator.dispose()


def test_a_database_that_stays_behind_is_still_refused_when_creating_if_empty(
    sqlite_url: str,
) -> None:
    from orderfsm.errors import SchemaOutOfDate
    from orderfsm.service import Engine

    creator = create_engine(sqlite_url)
    schema.upgrade(creator, "0001")
    creator.dispose()
    with pytest.raises(SchemaOutOfDate, match="orderfsm db upgrade"):
        Engine.open(sqlite_url, create_if_empty=True)
