"""Failures a user can cause, as one line each (never a traceback), and the rest.

A wrong ``--db`` URL, a PostgreSQL server that is down, a database that does
not exist: these are user mistakes, so :func:`~orderfsm.cli.app.main` prints
:func:`error_line` and exits 1. Anything else is a bug: its traceback is
printed, passwords hidden like everywhere (:mod:`orderfsm.cli.redact`).
"""

from __future__ import annotations

import traceback

from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)

from orderfsm.cli.redact import redact_url
from orderfsm.errors import MissingExtra, OrderFsmError

safe_url = redact_url
"""``url`` with its password hidden (``***``), parsable or not (``serve`` prints it)."""


def error_line(exc: Exception) -> str | None:
    """``error: ...`` for a domain or database error; ``None`` for anything else (a bug)."""
    if isinstance(exc, MissingExtra):
        return str(exc)  # already a complete sentence: what to install
    if isinstance(exc, OrderFsmError):
        return f"error: {exc}"
    if isinstance(exc, SQLAlchemyError):
        return f"error: {database_error_line(exc)}"
    return None


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


def internal_error(exc: Exception) -> str:
    """A bug's traceback, then one line saying so."""
    trace = "".join(traceback.format_exception(exc)).rstrip()
    return f"{trace}\nerror: internal error ({type(exc).__name__}); please report it"
