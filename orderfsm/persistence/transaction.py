"""Running a unit of work again when another worker got in its way.

Several processes may apply signals to the same database. When two of them
collide, the database (or the repository) refuses one transaction; it is rolled
back whole and run again from the start, where it then sees the other's work
(typically as a duplicate). What counts as such a collision:

* PostgreSQL: serialization failure (``40001``), deadlock (``40P01``), lock not
  available (``55P03``) and unique violation (``23505``: two workers inserted
  the same order, history row or parked event at once), read from psycopg 3's
  ``sqlstate`` on the error SQLAlchemy wraps;
* SQLite: "database is locked" / busy (only once the busy timeout ran out) and
  a UNIQUE constraint failure;
* :class:`Contention` raised by the repository or the engine itself (an order
  changed since it was read, an order appeared while its event was parked).

Anything else (a NOT NULL violation, a lost connection, a bug) is not retried.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from orderfsm.errors import ContentionExhausted
from orderfsm.persistence.repository import Contention, Repository
from orderfsm.persistence.unit_of_work import UnitOfWork

T = TypeVar("T")

RETRIED_SQLSTATES = frozenset({"40001", "40P01", "55P03", "23505"})
"""PostgreSQL error codes that mean "another transaction got there first"."""

_SQLITE_RETRIED = frozenset(
    {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"}
)
_BACKOFF_BASE_S = 0.002
_BACKOFF_CAP_S = 0.5


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` means a collision with another worker, so a retry can succeed."""
    if isinstance(exc, Contention):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    original = exc.orig
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in RETRIED_SQLSTATES
    if getattr(original, "sqlite_errorname", None) in _SQLITE_RETRIED:
        return True
    return "database is locked" in str(original)


def transact(engine: Engine, work: Callable[[Repository], T], *, max_attempts: int) -> T:
    """Run ``work`` in a unit of work and commit; retry it whole on a transient collision.

    Raises :class:`~orderfsm.errors.ContentionExhausted` when every attempt
    collided; any other error propagates at once, with nothing committed.
    """
    for attempt in range(1, max_attempts + 1):
        try:
            with UnitOfWork(engine) as uow:
                result = work(uow.repo)
                uow.commit()
                return result
        except (Contention, DBAPIError) as exc:
            if not is_transient(exc):
                raise
            if attempt == max_attempts:
                raise ContentionExhausted(max_attempts, str(exc)) from exc
            # Full jitter: colliding workers spread out instead of colliding again.
            time.sleep(random.uniform(0, min(_BACKOFF_CAP_S, _BACKOFF_BASE_S * 2**attempt)))
    raise AssertionError("unreachable")  # pragma: no cover
