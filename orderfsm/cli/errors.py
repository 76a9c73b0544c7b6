"""Third-party failures a user can cause, as one line each (never a traceback).

A wrong ``--db`` URL, a PostgreSQL server that is down, a database that does
not exist: these are user mistakes, so :func:`~orderfsm.cli.app.main` prints
:func:`database_error_line` and exits 1. Passwords in URLs are never shown.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)


def safe_url(url: str) -> str:
    """``url`` with its password hidden (``***``), or as given when it does not parse."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def database_error_line(exc: SQLAlchemyError) -> str:
    """One line saying what went wrong with the database, for a terminal."""
    if isinstance(exc, NoSuchModuleError | ArgumentError):
        return f"cannot use this database URL: {exc}"
    if isinstance(exc, DBAPIError):
        text = str(exc.orig).strip()
        first = text.splitlines()[0] if text else type(exc.orig).__name__
        what = "database unavailable" if isinstance(exc, OperationalError) else "database error"
        return f"{what}: {first}"
    return f"database error: {str(exc).splitlines()[0]}"
