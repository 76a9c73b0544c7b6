"""Schema migrations (Alembic, shipped inside the package) and the version check.

``orderfsm db upgrade --db URL`` calls :func:`upgrade`; the engine calls
:func:`ensure_current` and refuses a database that is behind.

Every command that opens a database runs the check, so it does without
Alembic when it can (importing Alembic costs ~0.1 s of CPU per command): the
head is read from the migration files' ``revision = "..."`` and
``down_revision = "..."`` lines, and the current revision from the
``alembic_version`` table. Anything unusual (a file those lines do not
describe, several heads, several rows) is left to Alembic itself.
"""

from __future__ import annotations

import re
import shlex
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, make_url, text
from sqlalchemy.exc import OperationalError

from orderfsm.errors import DatabaseUnavailable, SchemaOutOfDate

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
_DECLARED = re.compile(
    r"^(down_revision|revision)(?:\s*:[^=\n]+)?\s*=\s*(?:None|[\"']([^\"'\n]+)[\"'])\s*$", re.M
)


def alembic_config(engine: Engine) -> Config:
    """An Alembic config running orderfsm's migrations on ``engine`` (for any Alembic command)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest migration this package ships."""
    declared = _declared_head()
    if declared is not None:
        return declared
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None, "the package ships no migrations"
    return head


def shown_url(engine: Engine) -> str:
    """The engine's URL as it may be shown to people: password hidden."""
    return engine.url.render_as_string(hide_password=True)


def _shown(url: str | None, engine: Engine) -> str:
    if url is None:
        return shown_url(engine)
    return make_url(url).render_as_string(hide_password=True)


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (``None``: never migrated).

    This is the first thing every entry point asks the database, so a
    database that cannot be reached is reported here as
    :class:`~orderfsm.errors.DatabaseUnavailable`.
    """
    with _connect(engine) as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
        if len(rows) <= 1:
            return str(rows[0][0]) if rows else None
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(connection).get_current_revision()


def _declared_head() -> str | None:
    """The one revision no migration file names as its ``down_revision`` (``None``: unsure)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        if path.name == "__init__.py":
            continue
        found = dict((m.group(1), m.group(2)) for m in _DECLARED.finditer(path.read_text()))
        if "revision" not in found or "down_revision" not in found or not found["revision"]:
            return None
        revisions.add(found["revision"])
        if found["down_revision"]:
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def _connect(engine: Engine) -> Connection:
    try:
        return engine.connect()
    except OperationalError as exc:
        # The driver's message can run to several lines (libpq adds a hint): keep the first.
        reason = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
        raise DatabaseUnavailable(f"cannot open {shown_url(engine)}: {reason}") from exc


def known_revisions() -> set[str]:
    """Every migration this package ships."""
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def is_empty(engine: Engine) -> bool:
    """True when the database has none of orderfsm's tables yet."""
    with _connect(engine) as connection:
        names = set(inspect(connection).get_table_names())
    return not names & {"orders", "alembic_version"}


CREATION_QUIET_S = 2.0
"""How long a revision behind head must stay unchanged before it is taken as final."""
CREATION_LIMIT_S = 60.0


def wait_for_a_creation(engine: Engine) -> None:
    """Return once no other process is still bringing this database up to head.

    Several processes may open the same new database with ``create_if_empty``
    at once: one migrates, and the others may read its revision half-way
    (SQLite commits Alembic's DDL step by step). A revision behind head that
    (or tables with no revision yet) that keeps moving is such a creation, and
    is waited out; one that stays put for
    :data:`CREATION_QUIET_S` is what the database really holds, and
    :func:`ensure_current` judges it.
    """
    head = head_revision()
    last = current_revision(engine)
    if last == head or (last is not None and last not in known_revisions()):
        return
    now = time.monotonic()
    changed_at, deadline = now, now + CREATION_LIMIT_S
    while now < deadline and now - changed_at < CREATION_QUIET_S:
        time.sleep(0.1)
        seen = current_revision(engine)
        now = time.monotonic()
        if seen == head:
            return
        if seen != last:
            last, changed_at = seen, now


def ensure_current(engine: Engine, *, url_for_message: str | None = None) -> None:
    """Raise :class:`SchemaOutOfDate` unless the database is at the package's head.

    The message says which command fixes it: ``orderfsm db upgrade`` for a
    database that is behind, a newer orderfsm for one migrated by a newer one.
    ``url_for_message`` is the URL as the user gave it (default: the
    engine's); its password is never shown.
    """
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is not None and current not in known_revisions():
        raise SchemaOutOfDate(
            f"database schema is at {current}, which this orderfsm does not know "
            f"(it needs {head}); a newer orderfsm migrated it: upgrade orderfsm"
        )
    raise SchemaOutOfDate(
        f"database schema is at {current or 'no revision'}, this orderfsm needs {head}; "
        f"run: orderfsm db upgrade --db {shlex.quote(_shown(url_for_message, engine))}"
    )
