"""Connections kept between one writing transaction and the next.

Opening a SQLAlchemy ``Connection`` for every unit of work costs more CPU
than SQLite takes to run the unit's statements: a pool checkout and checkin,
a reset, and the connection's event dispatch joined anew to the engine's
(about 40 us of the ~110 us an empty transaction took through
:class:`~orderfsm.persistence.transaction.Transaction`, against 11 us for
``BEGIN IMMEDIATE`` and ``COMMIT`` on ``sqlite3``). A transaction therefore
hands its connection back here when it ends cleanly, and the next one on the
same engine takes it up again, from any thread (one at a time).

A kept connection must be the one a fresh checkout would give:

* it is kept only while the listeners a checkout meets are those it was
  checked out under (:func:`_listeners`): a seam a test adds, or the
  receiver's ``synchronous=FULL`` on checkout, would not reach a connection
  checked out before it, so every kept one is closed and the next transaction
  checks out afresh;
* one that was invalidated, or ended in an error, is never kept;
* at most :data:`KEEP_AT_MOST` per engine, and one fewer than the pool's
  size; none while the pool lends beyond its size (overflow): the rest go
  back to the pool, whose limit counts the kept ones as checked out;
* on PostgreSQL the pool's own checkout check (a server that closed the
  connection while it was idle), given to :func:`enable`, runs again before
  reuse, and a closed one is discarded;
* when the pool was invalidated since (SQLAlchemy renews it after a lost
  connection), or a transaction lost its connection, every kept one is
  closed;
* ``Engine.dispose()`` closes every kept connection with the pool's; in a
  forked child the parent's are never used, nor closed (their sockets are
  the parent's).

Only engines :func:`~orderfsm.persistence.database.open_engine` made keep
connections (:func:`enable`: a file SQLite or psycopg 3 on a ``QueuePool``,
no pre-ping, no recycle): a host's own engine goes through its pool as it
configured it. Read-only transactions (their execution option is set on the
connection) are never kept.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Engine, event
from sqlalchemy.pool import QueuePool

KEEP_AT_MOST = 4
"""Connections kept idle per engine (threads writing at once, beyond which each checks out)."""

_ATTRIBUTE = "_orderfsm_kept"
"""Where an engine that keeps connections holds its :class:`Keeper`.

A kept connection is checked out, and SQLAlchemy holds a checked-out
connection's pool (and, through its listeners, the engine) until it is
returned: an engine dropped without ``dispose()`` keeps its kept connections
open until the process ends. Every orderfsm opening disposes its engine
(``Engine.open``'s ``with`` block, the CLI, the dispatchers); a host calling
:func:`~orderfsm.persistence.database.open_engine` itself should too."""

Signature = tuple[float, ...]

_ABANDONED: list[Connection] = []
"""A forked child's view of its parent's kept connections: held, never used or closed."""


def _listeners(engine: Engine) -> Signature:
    """What a checkout would meet now: the pool, its invalidation, each listener collection's size.

    Only the events a fresh checkout runs and a kept connection skips
    (``checkout``, ``engine_connect``; ``checkin`` and ``reset`` when it would
    have gone back): a kept connection's statement, ``begin`` and ``commit``
    events are looked up on the engine as they fire, so it sees listeners
    added since. A listener added changes a collection's size, or replaces an
    empty one. (Not seen: one listener removed and another added to the same
    event between two transactions.)
    """
    pool = engine.pool
    events = pool.dispatch
    checkout, checkin, reset = events.checkout, events.checkin, events.reset
    connect = engine.dispatch.engine_connect
    return (
        id(pool),
        # SQLAlchemy's own mark of a renewed pool (connections older are stale).
        float(getattr(pool, "_invalidate_time", 0)),
        id(checkout),
        len(checkout),
        id(checkin),
        len(checkin),
        id(reset),
        len(reset),
        id(connect),
        len(connect),
    )


@dataclass(slots=True)
class Shelf:
    """One engine's idle connections and the listeners they were checked out under."""

    signature: Signature
    pid: int
    idle: list[Connection] = field(default_factory=list)


IdleCheck = Callable[[Any], bool]
"""True when an idle DB-API connection may be used again (what the pool's checkout checks)."""


@dataclass(slots=True)
class Keeper:
    """An engine's idle check, and its shelf (None until a transaction ends, or after a release)."""

    still_open: IdleCheck
    shelf: Shelf | None = None


def enable(engine: Engine, still_open: IdleCheck) -> None:
    """Let ``engine``'s writing transactions keep their connections (orderfsm's own engines)."""
    if isinstance(engine.pool, QueuePool) and _keeper(engine) is None:
        setattr(engine, _ATTRIBUTE, Keeper(still_open))
        event.listen(engine, "engine_disposed", release_all)


def _keeper(engine: Engine) -> Keeper | None:
    return cast(Keeper | None, getattr(engine, _ATTRIBUTE, None))


def keeps(engine: Engine) -> bool:
    """True when ``engine``'s writing transactions keep their connections."""
    return _keeper(engine) is not None


def take(engine: Engine) -> tuple[Connection, Shelf]:
    """A connection for a writing transaction, and the shelf it goes back to.

    A kept one when the engine still listens as it did when it was checked
    out, and it is still open; otherwise one checked out of the pool.
    """
    keeper = _keeper(engine)
    assert keeper is not None, "take() on an engine that keeps no connections"
    signature = _listeners(engine)
    shelf = keeper.shelf
    if shelf is not None and (shelf.signature != signature or shelf.pid != os.getpid()):
        release_all(engine)
        shelf = None
    if shelf is None:
        shelf = keeper.shelf = Shelf(signature, os.getpid())
    while shelf.idle:
        try:
            connection = shelf.idle.pop()
        except IndexError:  # another thread took the last one
            break
        raw = connection.connection.dbapi_connection
        if not connection.invalidated and raw is not None and keeper.still_open(raw):
            return connection, shelf
        _close(connection)
    return engine.connect(), shelf


def give_back(engine: Engine, connection: Connection, shelf: Shelf) -> None:
    """Keep ``connection`` (its transaction ended cleanly) for the next transaction, or close it."""
    keeper = _keeper(engine)
    pool = cast(QueuePool, engine.pool)
    if (
        keeper is None
        or keeper.shelf is not shelf
        or connection.invalidated
        or connection.closed
        or connection.in_transaction()
        or len(shelf.idle) >= min(KEEP_AT_MOST, pool.size() - 1)
        or pool.checkedout() > pool.size()
    ):
        connection.close()
        return
    shelf.idle.append(connection)


def release_all(engine: Engine) -> None:
    """Close every connection kept for ``engine`` (its pool disposed, or its listeners changed).

    In a forked child, the parent's are set aside unclosed: closing one would
    end the parent's session on the shared socket.
    """
    keeper = _keeper(engine)
    shelf = keeper.shelf if keeper is not None else None
    if keeper is None or shelf is None:
        return
    keeper.shelf = None
    if shelf.pid != os.getpid():
        _ABANDONED.extend(shelf.idle)
        shelf.idle.clear()
        return
    while shelf.idle:
        try:
            connection = shelf.idle.pop()
        except IndexError:  # pragma: no cover - another thread emptied it
            return
        _close(connection)


def _close(connection: Connection) -> None:
    # Detached, the DB-API connection is closed for good, not returned to a
    # pool that may have been disposed and replaced since it was checked out.
    try:
        connection.detach()
    finally:
        connection.close()
