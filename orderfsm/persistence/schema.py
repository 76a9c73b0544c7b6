"""Schema migrations (Alembic, shipped inside the package) and the version check.

``orderfsm db upgrade --db URL`` calls :func:`upgrade`; the engine calls
:func:`ensure_current` and refuses a database that is behind.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from orderfsm.errors import SchemaOutOfDate

MIGRATIONS = Path(__file__).with_name("migrations")


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest migration this package ships."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None, "the package ships no migrations"
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (``None``: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest)."""
    command.upgrade(_config(engine), revision)


def is_empty(engine: Engine) -> bool:
    """True when the database has none of orderfsm's tables yet."""
    names = set(inspect(engine).get_table_names())
    return not names & {"orders", "alembic_version"}


def ensure_current(engine: Engine, *, url_for_message: str) -> None:
    """Raise :class:`SchemaOutOfDate` unless the database is at the package's head."""
    current = current_revision(engine)
    head = head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"database schema is at {current or 'no revision'}, this orderfsm needs {head}; "
            f"run: orderfsm db upgrade --db {url_for_message}"
        )
