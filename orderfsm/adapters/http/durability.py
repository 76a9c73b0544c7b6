"""On SQLite, the receiver's commits reach the disk before it answers 202.

DR delivers an event until it sees a 2xx, then never again: a 202 is a promise
that the event is stored. orderfsm opens SQLite with WAL and
``synchronous=NORMAL``, which survives a process crash but may lose the last
commits on a power loss or an OS crash; the receiver's connections therefore
run with ``synchronous=FULL`` (each commit waits for its fsync).

Only the receiver's connections: everything a worker commits can be redone
from the inbox (a lost application is applied again, a lost "done" of an
effect delivers it again, which the outbox's at-least-once contract already
allows), and an fsync per unit of work would more than double the worker's
time per event. Since WAL is one log, a durable receiver commit also makes
every commit before it durable; a power loss can only take worker commits
made after the last delivery, and they are redone. PostgreSQL commits are
durable by default (``synchronous_commit=on``): nothing to do there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

SQLITE_DURABLE = "PRAGMA synchronous=FULL"


def make_commits_durable(engine: Engine) -> None:
    """Have every connection ``engine`` hands out commit with an fsync (SQLite only).

    Set on checkout, not on connect, so that a host's engine whose pool
    already holds connections is covered too (the pragma costs microseconds).
    """
    if engine.dialect.name == "sqlite" and not event.contains(engine, "checkout", _durable):
        event.listen(engine, "checkout", _durable)


def _durable(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(SQLITE_DURABLE)
    finally:
        cursor.close()
