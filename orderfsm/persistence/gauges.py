"""The numbers a metrics scrape reads from the database, in four aggregate statements.

What each costs (tables of N rows; the backlog is the rows not yet applied
or done):

* orders per state: one ``GROUP BY state`` over ``ix_orders_state_created``
  (migration 0005): a scan of small index entries, not of the rows;
* stuck orders: per state with a deadline, one range of that index (the
  orders created before the deadline: most live orders are younger), each
  with one lookup of its history by ``ix_order_history_order`` (when it
  entered its state);
* the inbox and outbox backlog (``received`` / ``pending``, ``failed``,
  ``dead``) and the oldest waiting entry: a range of ``ix_inbox_status`` /
  ``ix_outbox_due``, so proportional to the backlog, never to the rows
  applied or done (those are not counted: they only grow; the worker's
  counters say how many went through).

docs/architecture.md ("Metrics and JSON logs") gives measured times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select

from orderfsm.fsm.states import OrderState
from orderfsm.persistence.database import to_db_time
from orderfsm.persistence.inbox import INBOX
from orderfsm.persistence.tables import HISTORY, ORDERS, OUTBOX, EffectStatus, InboxStatus

INBOX_BACKLOG = (InboxStatus.RECEIVED, InboxStatus.DEAD)
"""Inbox statuses counted at a scrape (``received`` waits, or waits for its retry)."""
OUTBOX_BACKLOG = (EffectStatus.PENDING, EffectStatus.FAILED, EffectStatus.DEAD)
"""Outbox statuses counted at a scrape."""
_INBOX_WAITING = (InboxStatus.RECEIVED.value,)
_OUTBOX_WAITING = (EffectStatus.PENDING.value, EffectStatus.FAILED.value)


@dataclass(frozen=True, slots=True)
class DatabaseGauges:
    """What the database says now; every state and counted status present, zeros included."""

    orders: Mapping[OrderState, int]
    stuck: Mapping[OrderState, int]
    """Orders past their state's deadline, for every state that has one."""
    inbox: Mapping[InboxStatus, int]
    outbox: Mapping[EffectStatus, int]
    oldest_inbox: datetime | None
    """When the oldest inbox entry still waiting to be applied was received."""
    oldest_outbox: datetime | None
    """When the oldest effect still waiting (pending or failed) was enqueued."""


def read_gauges(
    connection: Connection, *, now: datetime, deadlines: Mapping[OrderState, timedelta]
) -> DatabaseGauges:
    """Read every gauge in one read-only pass over ``connection``."""
    orders = dict.fromkeys(OrderState, 0)
    for state, count in connection.execute(
        select(ORDERS.c.state, func.count()).group_by(ORDERS.c.state)
    ):
        if state in orders:
            orders[OrderState(state)] = count
    inbox, oldest_inbox = _backlog(
        connection, INBOX.c.status, INBOX.c.received_at, INBOX_BACKLOG, _INBOX_WAITING
    )
    outbox, oldest_outbox = _backlog(
        connection, OUTBOX.c.status, OUTBOX.c.created_at, OUTBOX_BACKLOG, _OUTBOX_WAITING
    )
    return DatabaseGauges(
        orders=orders,
        stuck=_stuck(connection, now, deadlines),
        inbox={InboxStatus(k): v for k, v in inbox.items()},
        outbox={EffectStatus(k): v for k, v in outbox.items()},
        oldest_inbox=oldest_inbox,
        oldest_outbox=oldest_outbox,
    )


def _backlog(
    connection: Connection,
    status: ColumnElement[Any],
    since: ColumnElement[Any],
    counted: tuple[InboxStatus, ...] | tuple[EffectStatus, ...],
    waiting: tuple[str, ...],
) -> tuple[dict[str, int], datetime | None]:
    counts = {value.value: 0 for value in counted}
    oldest: datetime | None = None
    query = (
        select(status, func.count(), func.min(since))
        .where(status.in_(list(counts)))
        .group_by(status)
    )
    for value, count, first in connection.execute(query):
        counts[value] = count
        first = to_db_time(first)
        if value in waiting and first is not None and (oldest is None or first < oldest):
            oldest = first
    return counts, oldest


def _stuck(
    connection: Connection, now: datetime, deadlines: Mapping[OrderState, timedelta]
) -> dict[OrderState, int]:
    """Orders whose entry into their state is older than its deadline.

    The entry is :func:`orderfsm.service.stuck.entered_at`'s rule in SQL: the
    latest history row moving into the state from another one, else the first
    row recording the state (internal news only).
    """
    stuck = dict.fromkeys(deadlines, 0)
    if not deadlines:
        return stuck
    moved_in = or_(HISTORY.c.from_state.is_(None), HISTORY.c.from_state != ORDERS.c.state)
    entered = (
        select(
            func.coalesce(
                func.max(case((moved_in, HISTORY.c.recorded_at))), func.min(HISTORY.c.recorded_at)
            )
        )
        .where(and_(HISTORY.c.order_id == ORDERS.c.id, HISTORY.c.to_state == ORDERS.c.state))
        .correlate(ORDERS)
        .scalar_subquery()
    )
    now = now.astimezone(UTC)
    cutoff = case(
        {state.value: now - deadline for state, deadline in deadlines.items()},
        value=ORDERS.c.state,
    )
    query = (
        select(ORDERS.c.state, func.count())
        .where(
            # An order entered its state after it was created: one younger than the
            # deadline cannot be stuck, and needs no look at its history. One range
            # of ix_orders_state_created (state, created_at) per state.
            or_(
                *(
                    and_(ORDERS.c.state == state.value, ORDERS.c.created_at < now - deadline)
                    for state, deadline in deadlines.items()
                )
            ),
            entered < cutoff,
        )
        .group_by(ORDERS.c.state)
    )
    for state, count in connection.execute(query):
        stuck[OrderState(state)] = count
    return stuck
