"""Every statement the stores run, built once at import with bound parameters.

Building a Core statement and computing its cache key cost more than running
it on SQLite; a prebuilt statement finds its compiled form in SQLAlchemy's
cache and only binds values.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BindParameter,
    Column,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    insert,
    or_,
    select,
    text,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from orderfsm.fsm.refs import RefKind
from orderfsm.persistence.rows import SAVED_COLUMNS
from orderfsm.persistence.tables import (
    HISTORY,
    ORDERS,
    OUTBOX,
    PARKED,
    first_application_sql,
)

_FIRST_APPLICATION = text(first_application_sql(HISTORY.name))


def _find_by(column: Column[Any], *, lock: bool) -> Select[Any]:
    query = select(ORDERS).where(column == bindparam("value"))
    return query.with_for_update() if lock else query


def _set(column: Column[Any]) -> BindParameter[Any]:
    # Named apart from the columns: SQLAlchemy reserves a column's own name
    # for the parameters it generates itself in SET and VALUES clauses.
    return bindparam(f"new_{column.name}", type_=column.type)


FIND_ORDER = {
    (kind, lock): _find_by(ORDERS.c[kind.value], lock=lock)
    for kind in RefKind
    for lock in (True, False)
}
"""Find one order by one kind of reference, locked (``FOR UPDATE``) or not."""
FIND_ORDERS = {
    kind: select(ORDERS)
    .where(ORDERS.c[kind.value].in_(bindparam("values", expanding=True)))
    .order_by(ORDERS.c.id)
    .with_for_update()
    for kind in RefKind
}
"""Find (and lock) many orders by one kind of reference."""
INSERT_ORDER = insert(ORDERS)
SAVE_ORDER = (
    update(ORDERS)
    .where(
        and_(ORDERS.c.id == bindparam("order_id"), ORDERS.c.version == bindparam("read_version"))
    )
    .values({name: _set(ORDERS.c[name]) for name in SAVED_COLUMNS})
)
"""Write an order where it still has the version read (parameters: ``rows.OrderUpdate``)."""
_SEEN = or_(
    exists().where(and_(HISTORY.c.event_id == bindparam("event_id"), _FIRST_APPLICATION)),
    exists().where(PARKED.c.event_id == bindparam("event_id")),
)
EVENT_SEEN = select(_SEEN.label("event_seen"))
FIND_ORDER_SEEN = {
    kind: select(ORDERS, _SEEN.label("event_seen"))
    .where(ORDERS.c[kind.value] == bindparam("value"))
    .with_for_update(skip_locked=True)
    for kind in RefKind
}
"""Find and lock one order and tell whether an event was seen, in one round trip.

``SKIP LOCKED``: on PostgreSQL the deduplication must see what the holder of
the order's lock committed, and a statement that waited for a lock still
reads with the snapshot it started with; an order locked by another
transaction therefore gives no row here, and the caller waits for the lock
and asks again in two statements (SQLite ignores the clause: its writers
hold the database, not rows).
"""
EVENTS_SEEN = union(
    select(HISTORY.c.event_id).where(
        and_(HISTORY.c.event_id.in_(bindparam("event_ids", expanding=True)), _FIRST_APPLICATION)
    ),
    select(PARKED.c.event_id).where(PARKED.c.event_id.in_(bindparam("event_ids", expanding=True))),
)
INSERT_HISTORY = insert(HISTORY)
HISTORY_OF = (
    select(HISTORY).where(HISTORY.c.order_id == bindparam("order_id")).order_by(HISTORY.c.id)
)
ENQUEUE = {
    "postgresql": postgresql.insert(OUTBOX).on_conflict_do_nothing(
        index_elements=["idempotency_key"]
    ),
    "sqlite": sqlite.insert(OUTBOX).on_conflict_do_nothing(index_elements=["idempotency_key"]),
}
"""Add effect intents, leaving a key already there alone, per dialect."""
EFFECTS_OF = select(OUTBOX).where(OUTBOX.c.order_id == bindparam("order_id")).order_by(OUTBOX.c.id)
PARK = insert(PARKED)
# An id the caller does not know is bound as NULL, and "= NULL" matches no row.
PARKED_FOR = (
    select(PARKED)
    .where(
        or_(
            PARKED.c.dr_order_id == bindparam("dr_order_id"),
            PARKED.c.checkout_id == bindparam("checkout_id"),
            PARKED.c.upstream_id == bindparam("upstream_id"),
        )
    )
    .order_by(PARKED.c.dr_time, PARKED.c.id)
    .with_for_update()
)
PARKED_TYPES_FOR = (
    select(PARKED.c.event_type)
    .where(
        or_(
            PARKED.c.dr_order_id == bindparam("dr_order_id"),
            PARKED.c.checkout_id == bindparam("checkout_id"),
            PARKED.c.upstream_id == bindparam("upstream_id"),
        )
    )
    .order_by(PARKED.c.dr_time, PARKED.c.id)
)
PARKED_REFS_IN = {
    kind: select(PARKED.c.dr_order_id, PARKED.c.checkout_id, PARKED.c.upstream_id).where(
        PARKED.c[kind.value].in_(bindparam("values", expanding=True))
    )
    for kind in RefKind
}
"""The ids of the parked events under any of many references of one kind."""
UNPARK = delete(PARKED).where(PARKED.c.id.in_(bindparam("ids", expanding=True)))
ORDERS_AFTER = (
    select(ORDERS)
    .where(ORDERS.c.id > bindparam("after"))
    .order_by(ORDERS.c.id)
    .limit(bindparam("limit"))
)
"""A page of orders, oldest first, after the id of the last one read."""
