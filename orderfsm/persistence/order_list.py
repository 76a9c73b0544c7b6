"""Listing orders for the operator: one filtered, keyset-paged query, read in two orders.

Both operator views are this query: ``orderfsm orders`` reads it oldest update
first, to find what is stuck (keyset on ``(updated_at, id)``; the cursor is
the last row's key as ``ISO-TIME/ID``), and the console's orders page newest
first (keyset on the id, so page 2,000 costs what page 1 does; the cursor is
the last id shown). A page never repeats or skips an order that did not move
meanwhile. One read-only statement (SQLite: no writer lock); what only the
CLI prints (when each order was made, and its latest history row, as
correlated subqueries) is read when asked for (``details``): the console's
page does not pay for it.

"Stuck" is :mod:`orderfsm.service.stuck`'s rule in SQL: in a state with a
deadline, entered (its last move into that state) longer ago than it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select

from orderfsm.errors import ConfigurationError
from orderfsm.fsm.outcomes import Outcome
from orderfsm.fsm.states import OrderState
from orderfsm.persistence.database import READ_ONLY_OPTION, to_db_time
from orderfsm.persistence.tables import HISTORY, ORDERS, OUTBOX, EffectStatus

CURSOR_SEPARATOR = "/"
"""Between a cursor's time (ISO 8601) and order id."""


class Sort(Enum):
    """Which way a listing reads the orders, and so what its cursor is."""

    OLDEST_UPDATE_FIRST = "oldest_update_first"
    """By ``(updated_at, id)``; the cursor is ``ISO-TIME/ID`` (``orderfsm orders``)."""
    NEWEST_FIRST = "newest_first"
    """By id, descending; the cursor is the last id (the console)."""


@dataclass(frozen=True, slots=True)
class Stuck:
    """The "stuck" filter: past the deadline of the state entered, at ``now``."""

    deadlines: Mapping[OrderState, timedelta]
    now: datetime


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Which orders to list; ``None``/``False`` leaves a criterion out."""

    state: str | None = None
    updated_before: datetime | None = None
    """Only orders whose last update is older than this moment."""
    disputed: bool | None = None
    search: str | None = None
    """Any of the order's ids: upstream, DR order or checkout (exact)."""
    dead_effects: bool = False
    """Only orders with a dead effect in the outbox."""
    stuck: Stuck | None = None


@dataclass(frozen=True, slots=True)
class OrderSummary:
    """One listed order; with ``details``, when it was made and the last signal it saw."""

    id: int
    upstream_id: str
    dr_order_id: str | None
    checkout_id: str | None
    state: str
    disputed: bool
    updated_at: datetime
    created_at: datetime | None = None
    last_signal: str | None = None
    """The last history row's DR event type, or its origin (``submit``, ``adopt``...)."""
    last_outcome: str | None = None
    last_signal_at: datetime | None = None

    @property
    def cursor(self) -> str:
        """The ``--after`` value that starts the next page after this order."""
        return f"{self.updated_at.isoformat()}{CURSOR_SEPARATOR}{self.id}"

    def to_json(self, now: datetime) -> dict[str, Any]:
        """The fixed ``orders --json`` shape (ISO 8601 UTC times; age in seconds at ``now``)."""
        return {
            "upstreamId": self.upstream_id,
            "orderId": self.dr_order_id,
            "checkoutId": self.checkout_id,
            "state": self.state,
            "disputed": self.disputed,
            "createdAt": self.created_at.isoformat() if self.created_at else None,
            "updatedAt": self.updated_at.isoformat(),
            "ageSeconds": int((now - self.updated_at).total_seconds()),
            "lastSignal": self.last_signal,
            "lastOutcome": self.last_outcome,
            "lastSignalAt": self.last_signal_at.isoformat() if self.last_signal_at else None,
            "cursor": self.cursor,
        }


@dataclass(frozen=True, slots=True)
class OrderPage:
    """A page of orders and the cursor of the next one (``None``: the last page)."""

    lines: tuple[OrderSummary, ...]
    next_after: str | None


def parse_cursor(cursor: str) -> tuple[datetime, int]:
    """A cursor's ``(updated_at, id)``; a malformed one is a ConfigurationError."""
    moment, _, order_id = cursor.rpartition(CURSOR_SEPARATOR)
    try:
        parsed = datetime.fromisoformat(moment)
        return (to_db_time(parsed) or parsed, int(order_id))
    except ValueError:
        raise ConfigurationError(
            f"not a cursor: {cursor!r} (use the value printed after 'next page: --after')"
        ) from None


def list_orders(
    engine: Engine,
    chosen: OrderFilter,
    *,
    limit: int,
    after: str | None = None,
    sort: Sort = Sort.OLDEST_UPDATE_FIRST,
    details: bool = False,
) -> OrderPage:
    """Up to ``limit`` orders matching ``chosen``, in ``sort``'s order, after the cursor ``after``.

    ``details`` adds each order's creation time and its latest history row
    (event type or origin, outcome and time): what ``orderfsm orders`` prints.
    """
    query = select(*_COLUMNS, *(_DETAILS if details else ())).where(*_criteria(chosen))
    if sort is Sort.NEWEST_FIRST:
        query = query.order_by(ORDERS.c.id.desc())
        if after is not None:
            query = query.where(ORDERS.c.id < _parse_id(after))
    else:
        query = query.order_by(ORDERS.c.updated_at, ORDERS.c.id)
        if after is not None:
            moment, order_id = parse_cursor(after)
            query = query.where(
                or_(
                    ORDERS.c.updated_at > moment,
                    and_(ORDERS.c.updated_at == moment, ORDERS.c.id > order_id),
                )
            )
    with engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
        rows = connection.execute(query.limit(limit + 1)).mappings().all()
    summary = _detailed if details else _summary
    lines = tuple(summary(row) for row in rows[:limit])
    if len(rows) <= limit or not lines:
        return OrderPage(lines, None)
    last = lines[-1]
    return OrderPage(lines, str(last.id) if sort is Sort.NEWEST_FIRST else last.cursor)


def _criteria(chosen: OrderFilter) -> Sequence[Any]:
    criteria: list[Any] = []
    if chosen.search:
        ids = (ORDERS.c.upstream_id, ORDERS.c.dr_order_id, ORDERS.c.checkout_id)
        criteria.append(or_(*(column == chosen.search for column in ids)))
    if chosen.state is not None:
        criteria.append(ORDERS.c.state == chosen.state)
    if chosen.updated_before is not None:
        criteria.append(ORDERS.c.updated_at < chosen.updated_before.astimezone(UTC))
    if chosen.disputed is not None:
        criteria.append(ORDERS.c.disputed == chosen.disputed)
    if chosen.dead_effects:
        criteria.append(_dead_effects())
    if chosen.stuck is not None:
        criteria.append(_stuck(chosen.stuck))
    return criteria


def _parse_id(cursor: str) -> int:
    if not (cursor.isascii() and cursor.isdigit()):
        raise ConfigurationError(f"not a page cursor: {cursor!r} (use the last order id shown)")
    return int(cursor)


def _latest(column: Any) -> Any:
    return (
        select(column)
        .where(HISTORY.c.order_id == ORDERS.c.id)
        .order_by(HISTORY.c.id.desc())
        .limit(1)
        .correlate(ORDERS)
        .scalar_subquery()
    )


_COLUMNS = (
    ORDERS.c.id,
    ORDERS.c.upstream_id,
    ORDERS.c.dr_order_id,
    ORDERS.c.checkout_id,
    ORDERS.c.state,
    ORDERS.c.disputed,
    ORDERS.c.updated_at,
)
_DETAILS = (
    ORDERS.c.created_at,
    _latest(HISTORY.c.event_type).label("last_event_type"),
    _latest(HISTORY.c.origin).label("last_origin"),
    _latest(HISTORY.c.outcome).label("last_outcome"),
    _latest(HISTORY.c.recorded_at).label("last_signal_at"),
)


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


def _stuck(stuck: Stuck) -> Any:
    # An order entered its state after it was created, so created_at before the
    # cutoff is necessary and cheap: the history is read only for those orders.
    return or_(
        ORDERS.c.id.is_(None),
        *(
            and_(
                ORDERS.c.state == state.value,
                ORDERS.c.created_at < stuck.now - limit,
                _entered_state() < stuck.now - limit,
            )
            for state, limit in stuck.deadlines.items()
        ),
    )


def _dead_effects() -> Any:
    # IN over the dead rows (read once through ix_outbox_due), not a per-order
    # EXISTS, which SQLite may answer by scanning every dead row each time.
    dead = select(OUTBOX.c.order_id).where(OUTBOX.c.status == EffectStatus.DEAD.value)
    return ORDERS.c.id.in_(dead)


def _summary(row: Any) -> OrderSummary:
    return OrderSummary(
        id=row["id"],
        upstream_id=row["upstream_id"],
        dr_order_id=row["dr_order_id"],
        checkout_id=row["checkout_id"],
        state=row["state"],
        disputed=bool(row["disputed"]),
        updated_at=to_db_time(row["updated_at"]) or row["updated_at"],
    )


def _detailed(row: Any) -> OrderSummary:
    return replace(
        _summary(row),
        created_at=to_db_time(row["created_at"]) or row["created_at"],
        last_signal=row["last_event_type"] or row["last_origin"],
        last_outcome=row["last_outcome"],
        last_signal_at=to_db_time(row["last_signal_at"]),
    )
