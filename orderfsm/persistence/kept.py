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
* at most :data:`KEEP_AT_MOST` per engine: the rest go back to the pool;
* on PostgreSQL the pool's own checkout check (a server that closed the
  connection while it was idle) runs again before reuse
  (:func:`~orderfsm.persistence.database.still_open`), and a closed one is
  discarded;
* ``Engine.dispose()`` closes every kept connection with the pool's.

In-memory SQLite (one database per connection) and read-only transactions
(their execution option is set on the connection) are never kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, event
from sqlalchemy.pool import NullPool

KEEP_AT_MOST = 4
"""Connections kept idle per engine (threads writing at once, beyond which each checks out)."""

Signature = tuple[int, ...]


def _listeners(engine: Engine) -> Signature:
    """What listens now where a checkout would meet it: the pool, and each collection and its size.

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
    idle: list[Connection] = field(default_factory=list)


_SHELVES: WeakKeyDictionary[Engine, Shelf] = WeakKeyDictionary()


def keeps(engine: Engine) -> bool:
    """True when ``engine``'s writing transactions keep their connections."""
    return not isinstance(engine.pool, NullPool)


def take(engine: Engine, still_open: Callable[[Any], bool]) -> tuple[Connection, Shelf]:
    """A connection for a writing transaction, and the shelf it goes back to.

    A kept one when the engine still listens as it did when it was checked
    out, and it is still open; otherwise one checked out of the pool.
    """
    signature = _listeners(engine)
    shelf = _SHELVES.get(engine)
    if shelf is not None and shelf.signature != signature:
        release_all(engine)
        shelf = None
    if shelf is None:
        if not event.contains(engine, "engine_disposed", release_all):
            event.listen(engine, "engine_disposed", release_all)
        shelf = _SHELVES.setdefault(engine, Shelf(signature))
    while shelf.idle:
        try:
            connection = shelf.idle.pop()
        except IndexError:  # another thread took the last one
            break
        raw = connection.connection.dbapi_connection
        if not connection.invalidated and raw is not None and still_open(raw):
            return connection, shelf
        _close(connection)
    return engine.connect(), shelf


def give_back(engine: Engine, connection: Connection, shelf: Shelf) -> None:
    """Keep ``connection`` (its transaction ended cleanly) for the next transaction, or close it."""
    if (
        connection.invalidated
        or connection.closed
        or connection.in_transaction()
        or _SHELVES.get(engine) is not shelf
        or len(shelf.idle) >= KEEP_AT_MOST
    ):
        connection.close()
        return
    shelf.idle.append(connection)


def release_all(engine: Engine) -> None:
    """Close every connection kept for ``engine`` (its pool disposed, or its listeners changed)."""
    shelf = _SHELVES.pop(engine, None)
    if shelf is None:
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
