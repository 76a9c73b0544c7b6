"""Commands that only read (or change what is already stored) never create a database file.

SQLite creates the file a URL names the moment it is opened; a typo in
``--db sqlite:///shop.db`` would leave an empty file behind and then report
a schema "at no revision". These commands refuse first, naming the file.
Commands that create a database on purpose (``db upgrade``, ``apply``,
``submit``, ``reconcile``, ``serve``, ``demo``) do not call this.
"""

from __future__ import annotations

import shlex
from pathlib import Path


def missing_sqlite_file(db_url: str) -> Path | None:
    """The file ``db_url`` names when it is a SQLite file that does not exist, else ``None``."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(db_url)
    except (ArgumentError, ValueError):
        return None  # opening it reports the bad URL in its own line
    if url.get_backend_name() != "sqlite" or url.query.get("uri"):
        return None
    if not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)
    return None if path.exists() else path


def refuse_missing_sqlite(db_url: str) -> None:
    """Raise ``ConfigurationError`` when ``db_url`` is a SQLite file that does not exist."""
    from orderfsm.errors import ConfigurationError

    path = missing_sqlite_file(db_url)
    if path is not None:
        raise ConfigurationError(
            f"no database file {str(path)!r}: create it with "
            f"orderfsm db upgrade --db {shlex.quote(db_url)}, or fix --db"
        )
