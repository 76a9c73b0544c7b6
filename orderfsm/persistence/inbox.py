"""The inbox: webhook bodies stored as received, then claimed and applied by workers.

Every statement is SQLAlchemy Core on ``InboxRow.__table__``. The receiver
calls :func:`store_event` (deduplicated by DR event id: ``INSERT ... ON
CONFLICT DO NOTHING``); workers :func:`claim` a batch, apply it elsewhere, and
report each entry with :func:`mark_applied` or :func:`record_failure`.

A claim is a lease: the claimed rows get ``lease_until`` in the future and one
more attempt, in a short transaction of their own (PostgreSQL: ``FOR UPDATE
SKIP LOCKED``, so concurrent workers take disjoint rows; SQLite: the
connection's ``BEGIN IMMEDIATE`` serialises claimers). A worker that dies
mid-batch leaves leases that run out, and the rows are claimed again; the
engine's own deduplication makes the second application a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Engine, String, Table, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from orderfsm.persistence.tables import EffectStatus, InboxRow, InboxStatus, OutboxRow

INBOX: Table = InboxRow.__table__  # type: ignore[attr-defined]
OUTBOX: Table = OutboxRow.__table__  # type: ignore[attr-defined]

EVENT_ID_MAX_CHARS: int = cast(String, INBOX.c.event_id.type).length or 0
"""The longest DR event id the inbox can store."""
EVENT_TYPE_MAX_CHARS: int = cast(String, INBOX.c.event_type.type).length or 0
"""The longest DR event type the inbox can store."""

ERROR_MAX_CHARS = 2_000
"""A recorded error is cut to this length (a traceback is not an error message)."""


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """One stored webhook delivery."""

    id: int
    event_id: str
    event_type: str
    body: str
    status: InboxStatus
    attempts: int
    error: str | None
    received_at: datetime
    processed_at: datetime | None
    lease_until: datetime | None = None
    """Until when a worker's claim holds the entry (``None``: nobody holds it)."""
    outcome: str | None = None
    """What applying it did (an ``Outcome`` value or ``not_relevant``); ``None`` until applied."""
    upstream_id: str | None = None
    """The order it concerned, when the engine knew it."""


@dataclass(frozen=True, slots=True)
class Backlog:
    """Work waiting: inbox rows by status and outbox rows by status."""

    inbox: dict[str, int]
    outbox: dict[str, int]


def store_event(
    engine: Engine, *, event_id: str, event_type: str, body: str, now: datetime
) -> bool:
    """Store a delivery; ``True`` when it is new, ``False`` when the event id was already in."""
    # RETURNING, not rowcount: drivers disagree on the rowcount of a skipped insert.
    with engine.begin() as connection:
        inserted = connection.execute(
            _STORE[engine.dialect.name],
            {
                "event_id": event_id,
                "event_type": event_type,
                "body": body,
                "status": InboxStatus.RECEIVED.value,
                "attempts": 0,
                "received_at": now,
            },
        )
        return inserted.first() is not None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook body to store, as the receiver read it."""

    event_id: str
    event_type: str
    body: str
    received_at: datetime


# Built once: building the statement per delivery cost more than running it.
_STORE = {
    name: dialect.insert(INBOX)
    .on_conflict_do_nothing(index_elements=["event_id"])
    .returning(INBOX.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
def claim(engine: Engine, *, limit: int, lease: timedelta, now: datetime) -> list[InboxEntry]:
    """Lease up to ``limit`` due entries, oldest first, counting one more attempt for each."""
    due = and_(
        INBOX.c.status == InboxStatus.RECEIVED.value,
        or_(INBOX.c.lease_until.is_(None), INBOX.c.lease_until <= now),
    )
    query = select(INBOX.c.id).where(due).order_by(INBOX.c.id).limit(limit)
    if engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    with engine.begin() as connection:
        ids = list(connection.execute(query).scalars())
        if not ids:
            return []
        connection.execute(
            update(INBOX)
            .where(INBOX.c.id.in_(ids))
            .values(lease_until=now + lease, attempts=INBOX.c.attempts + 1)
        )
        rows = connection.execute(select(INBOX).where(INBOX.c.id.in_(ids)).order_by(INBOX.c.id))
        return [_entry(row) for row in rows.mappings()]


def release(engine: Engine, entries: Sequence[InboxEntry]) -> int:
    """Give claimed entries back untried (a stopping worker): due at once for any worker.

    Each row is released only while it still holds this claim's lease and
    attempt, so an entry another worker claimed since is left alone. Returns
    how many were released.
    """
    released = 0
    with engine.begin() as connection:
        for entry in entries:
            result = connection.execute(
                update(INBOX)
                .where(
                    and_(
                        INBOX.c.id == entry.id,
                        INBOX.c.status == InboxStatus.RECEIVED.value,
                        INBOX.c.attempts == entry.attempts,
                        INBOX.c.lease_until == entry.lease_until,
                    )
                )
                .values(lease_until=None, attempts=INBOX.c.attempts - 1)
            )
            released += result.rowcount
    return released


def mark_applied(
    engine: Engine,
    entry_id: int,
    *,
    now: datetime,
    outcome: str | None = None,
    upstream_id: str | None = None,
) -> None:
    """The entry went through the engine; keep what it did (``outcome``) and to which order."""
    with engine.begin() as connection:
        connection.execute(
            update(INBOX)
            .where(INBOX.c.id == entry_id)
            .values(
                status=InboxStatus.APPLIED.value,
                lease_until=None,
                error=None,
                processed_at=now,
                outcome=outcome,
                upstream_id=upstream_id,
            )
        )


def record_failure(
    engine: Engine, entry_id: int, error: str, *, dead: bool, retry_at: datetime, now: datetime
) -> None:
    """Keep the error; the entry is dead, or due again at ``retry_at``."""
    values: dict[str, Any] = {"error": error[:ERROR_MAX_CHARS]}
    if dead:
        values |= {"status": InboxStatus.DEAD.value, "lease_until": None, "processed_at": now}
    else:
        values |= {"lease_until": retry_at}
    with engine.begin() as connection:
        connection.execute(update(INBOX).where(INBOX.c.id == entry_id).values(values))


def retry(engine: Engine, entry_id: int) -> InboxEntry | None:
    """Put a dead (or waiting) entry back in line with a fresh attempt count.

    An applied entry is left alone. Returns the entry as it now stands, or
    ``None`` when there is no such id.
    """
    with engine.begin() as connection:
        return retry_in(connection, entry_id)


def retry_in(connection: Connection, entry_id: int) -> InboxEntry | None:
    """:func:`retry` inside the caller's transaction (an operator action is stored with it)."""
    connection.execute(
        update(INBOX)
        .where(and_(INBOX.c.id == entry_id, INBOX.c.status != InboxStatus.APPLIED.value))
        .values(
            status=InboxStatus.RECEIVED.value,
            attempts=0,
            lease_until=None,
            processed_at=None,
        )
    )
    row = connection.execute(select(INBOX).where(INBOX.c.id == entry_id)).mappings().first()
    return _entry(row) if row is not None else None


def entries(
    engine: Engine, *, status: InboxStatus | None = None, limit: int = 100
) -> list[InboxEntry]:
    """Stored deliveries, newest first, optionally only those in ``status``."""
    query = select(INBOX).order_by(INBOX.c.id.desc()).limit(limit)
    if status is not None:
        query = query.where(INBOX.c.status == status.value)
    with engine.connect() as connection:
        return [_entry(row) for row in connection.execute(query).mappings()]


def get_entry(engine: Engine, entry_id: int) -> InboxEntry | None:
    """The inbox entry with this id, if any."""
    with engine.connect() as connection:
        row = connection.execute(select(INBOX).where(INBOX.c.id == entry_id)).mappings().first()
    return _entry(row) if row is not None else None


def find_entry(engine: Engine, event_id: str) -> InboxEntry | None:
    """The stored delivery of a DR event id, if any."""
    with engine.connect() as connection:
        row = (
            connection.execute(select(INBOX).where(INBOX.c.event_id == event_id)).mappings().first()
        )
    return _entry(row) if row is not None else None


def backlog(connection: Connection) -> Backlog:
    """Counts of inbox and outbox rows by status (every status listed, zeros included)."""
    inbox = {status.value: 0 for status in InboxStatus}
    outbox = {status.value: 0 for status in EffectStatus}
    for table, counts in ((INBOX, inbox), (OUTBOX, outbox)):
        query = select(table.c.status, func.count()).group_by(table.c.status)
        for status, count in connection.execute(query):
            counts[status] = count
    return Backlog(inbox=inbox, outbox=outbox)


def _entry(row: Any) -> InboxEntry:
    return InboxEntry(
        id=row["id"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        body=row["body"],
        status=InboxStatus(row["status"]),
        attempts=row["attempts"],
        error=row["error"],
        received_at=row["received_at"],
        processed_at=row["processed_at"],
        lease_until=row["lease_until"],
        outcome=row["outcome"],
        upstream_id=row["upstream_id"],
    )
