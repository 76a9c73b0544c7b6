"""The console's read models: orders filtered and paged on the server, counts, edges taken.

Reads only, on a read-only connection (SQLite: no writer lock). The orders
list is paged by keyset on the order id, newest first, so a page costs the
same at order 100,000 as at order 1; the cursor is the last id shown.
"Stuck" is :mod:`orderfsm.service.stuck`'s rule in SQL: in a state with a
deadline, entered (its last move into that state) longer ago than it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select

from orderfsm.fsm.outcomes import Outcome
from orderfsm.fsm.states import OrderState
from orderfsm.persistence.database import READ_ONLY_OPTION, to_db_time
from orderfsm.persistence.inbox import INBOX
from orderfsm.persistence.tables import HISTORY, ORDERS, OUTBOX, EffectStatus

PAGE_SIZE = 50
"""Orders per page."""


@dataclass(frozen=True, slots=True)
class OrderQuery:
    """What the orders page asks for; ``None``/``False`` leaves a criterion out."""

    search: str | None = None
    """Any of the order's ids: upstream, DR order or checkout (exact)."""
    state: OrderState | None = None
    stuck: bool = False
    disputed: bool = False
    dead_effects: bool = False
    after: int | None = None
    """The last order id of the previous page."""


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One row of the orders page."""

    id: int
    upstream_id: str
    dr_order_id: str | None
    checkout_id: str | None
    state: str
    disputed: bool
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OrderPage:
    """A page of orders and the cursor of the next one (``None``: the last page)."""

    lines: tuple[OrderLine, ...]
    next_after: int | None


def _entered_state() -> Any:
    """When each order last moved into its current state (the history's last such row)."""
    return (
        select(func.max(HISTORY.c.recorded_at))
        .where(
            HISTORY.c.order_id == ORDERS.c.id,
            HISTORY.c.to_state == ORDERS.c.state,
            HISTORY.c.outcome == Outcome.APPLIED.value,
            or_(HISTORY.c.from_state.is_(None), HISTORY.c.from_state != HISTORY.c.to_state),
        )
        .correlate(ORDERS)
        .scalar_subquery()
    )


def _stuck(deadlines: Mapping[OrderState, timedelta], now: datetime) -> Any:
    # An order entered its state after it was created, so created_at before the
    # cutoff is necessary and cheap: the history is read only for those orders.
    return or_(
        ORDERS.c.id.is_(None),
        *(
            and_(
                ORDERS.c.state == state.value,
                ORDERS.c.created_at < now - limit,
                _entered_state() < now - limit,
            )
            for state, limit in deadlines.items()
        ),
    )


def _dead_effects() -> Any:
    # IN over the dead rows (read once through ix_outbox_due), not a per-order
    # EXISTS, which SQLite may answer by scanning every dead row each time.
    dead = select(OUTBOX.c.order_id).where(OUTBOX.c.status == EffectStatus.DEAD.value)
    return ORDERS.c.id.in_(dead)


def list_orders(
    db: Engine,
    query: OrderQuery,
    *,
    deadlines: Mapping[OrderState, timedelta],
    now: datetime,
    limit: int = PAGE_SIZE,
) -> OrderPage:
    """One page of the orders matching ``query``, newest first."""
    statement = select(
        ORDERS.c.id,
        ORDERS.c.upstream_id,
        ORDERS.c.dr_order_id,
        ORDERS.c.checkout_id,
        ORDERS.c.state,
        ORDERS.c.disputed,
        ORDERS.c.updated_at,
    ).order_by(ORDERS.c.id.desc())
    if query.search:
        ids = (ORDERS.c.upstream_id, ORDERS.c.dr_order_id, ORDERS.c.checkout_id)
        statement = statement.where(or_(*(column == query.search for column in ids)))
    if query.state is not None:
        statement = statement.where(ORDERS.c.state == query.state.value)
    if query.disputed:
        statement = statement.where(ORDERS.c.disputed.is_(True))
    if query.dead_effects:
        statement = statement.where(_dead_effects())
    if query.stuck:
        statement = statement.where(_stuck(deadlines, now))
    if query.after is not None:
        statement = statement.where(ORDERS.c.id < query.after)
    with _reading(db) as connection:
        rows = connection.execute(statement.limit(limit + 1)).mappings().all()
    lines = tuple(_line(row) for row in rows[:limit])
    return OrderPage(lines, lines[-1].id if len(rows) > limit else None)


def state_counts(db: Engine) -> dict[str, int]:
    """How many orders are in each state (every state listed, zeros included)."""
    counts = {state.value: 0 for state in OrderState}
    statement = select(ORDERS.c.state, func.count()).group_by(ORDERS.c.state)
    with _reading(db) as connection:
        for state, count in connection.execute(statement):
            counts[state] = count
    return counts


def edges_taken_since(db: Engine, since: datetime) -> dict[tuple[str, str, str], int]:
    """Applied moves since ``since``: ``(from_state, trigger, to_state)`` -> how many."""
    statement = (
        select(HISTORY.c.from_state, HISTORY.c.trigger, HISTORY.c.to_state, func.count())
        .where(
            HISTORY.c.recorded_at >= since,
            HISTORY.c.outcome == Outcome.APPLIED.value,
            HISTORY.c.from_state.is_not(None),
        )
        .group_by(HISTORY.c.from_state, HISTORY.c.trigger, HISTORY.c.to_state)
    )
    with _reading(db) as connection:
        return {
            (source, trigger, dest or source): count
            for source, trigger, dest, count in connection.execute(statement)
        }


def order_id_of(db: Engine, upstream_id: str) -> int | None:
    """The stored order's row id (operator actions are kept by it)."""
    with _reading(db) as connection:
        found: int | None = connection.execute(
            select(ORDERS.c.id).where(ORDERS.c.upstream_id == upstream_id)
        ).scalar_one_or_none()
    return found


def snapshot_of(db: Engine, upstream_id: str) -> dict[str, Any] | None:
    """DR's latest order as the engine stored it (``None``: nothing heard from DR yet)."""
    with _reading(db) as connection:
        found = connection.execute(
            select(ORDERS.c.snapshot).where(ORDERS.c.upstream_id == upstream_id)
        ).scalar_one_or_none()
    return found if isinstance(found, dict) else None


def payloads(db: Engine, event_ids: list[str]) -> dict[str, str]:
    """The bodies the receiver stored for these DR event ids (``event id -> body``)."""
    if not event_ids:
        return {}
    statement = select(INBOX.c.event_id, INBOX.c.body).where(INBOX.c.event_id.in_(event_ids))
    with _reading(db) as connection:
        return {event_id: body for event_id, body in connection.execute(statement)}


def _reading(db: Engine) -> Any:
    return db.connect().execution_options(**{READ_ONLY_OPTION: True})


def _line(row: Any) -> OrderLine:
    return OrderLine(
        id=row["id"],
        upstream_id=row["upstream_id"],
        dr_order_id=row["dr_order_id"],
        checkout_id=row["checkout_id"],
        state=row["state"],
        disputed=bool(row["disputed"]),
        updated_at=to_db_time(row["updated_at"]) or row["updated_at"],
    )
