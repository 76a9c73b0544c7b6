"""The console's read models beside the orders list: counts, edges taken, one order's rows.

Reads only, on a read-only connection (SQLite: no writer lock). The orders
list itself is :mod:`orderfsm.persistence.order_list`, the query
``orderfsm orders`` reads too, newest first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from orderfsm.fsm.outcomes import Outcome
from orderfsm.fsm.states import OrderState
from orderfsm.persistence.database import READ_ONLY_OPTION
from orderfsm.persistence.inbox import INBOX
from orderfsm.persistence.tables import HISTORY, ORDERS


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
