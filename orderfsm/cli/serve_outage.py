"""Whether ``orderfsm serve`` may start on its database now, and why it cannot store yet.

The receiver outlives its database (see :mod:`orderfsm.adapters.http.database`):
an outage is said in one warning line and the server starts anyway; a URL or
schema no wait can mend is refused, as by every other command.
"""

from __future__ import annotations

from orderfsm.cli.redact import redact_url


def database_outage(db_url: str) -> str | None:
    """Why the database cannot be used now (it may be later), or ``None``: it is ready.

    A URL that cannot work (malformed, another database) and a schema that is
    behind are refused in one line: no wait mends them. A database that is
    down, still starting, or a SQLite file whose folder is missing or read-only
    is an outage: the receiver starts and answers 503 until it is over. A
    brand-new, empty database gets the schema.
    """
    from sqlalchemy.exc import DBAPIError

    from orderfsm.errors import DatabaseUnavailable
    from orderfsm.service import Engine

    try:
        Engine.open(db_url, create_if_empty=True).close()
    except DatabaseUnavailable as exc:
        if not isinstance(exc.__cause__, DBAPIError):  # the URL itself cannot work
            raise
        return redact_url(str(exc))
    except DBAPIError as exc:  # e.g. creating the schema in a read-only folder
        return redact_url(str(exc.orig).strip().splitlines()[0])
    return None
