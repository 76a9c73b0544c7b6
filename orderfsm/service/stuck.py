"""Stuck orders: those waiting in a live state longer than its deadline.

The deadlines are data of the lifecycle table
(:data:`orderfsm.fsm.lifecycle.DEADLINES`); a host passes its own for any
state (:func:`deadlines_with`) without editing the package.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from orderfsm.errors import ConfigurationError, InvalidDefinition
from orderfsm.fsm.checks import check_deadlines
from orderfsm.fsm.lifecycle import LIFECYCLE
from orderfsm.fsm.states import OrderState
from orderfsm.persistence import OrderView
from orderfsm.persistence.database import to_db_time, utcnow
from orderfsm.service.engine import Engine


@dataclass(frozen=True, slots=True)
class StuckOrder:
    """An order past its state's deadline, and the last word received about it."""

    upstream_id: str
    order_id: str | None
    checkout_id: str | None
    state: OrderState
    since: datetime
    """When it entered ``state``."""
    age: timedelta
    """How long it has been in ``state``."""
    deadline: timedelta
    last_signal: str | None
    """The DR event type (or trigger) of the last signal recorded."""
    last_signal_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        """The ``orderfsm stuck --json`` shape."""
        return {
            "upstreamId": self.upstream_id,
            "orderId": self.order_id,
            "checkoutId": self.checkout_id,
            "state": self.state.value,
            "since": _stamp(self.since),
            "ageSeconds": int(self.age.total_seconds()),
            "deadlineSeconds": int(self.deadline.total_seconds()),
            "lastSignal": self.last_signal,
            "lastSignalAt": _stamp(self.last_signal_at),
        }

    @property
    def overdue(self) -> timedelta:
        """How far past its deadline the order is."""
        return self.age - self.deadline


def deadlines_with(
    overrides: Mapping[OrderState, timedelta] | None = None,
) -> Mapping[OrderState, timedelta]:
    """The table's deadlines with the host's ``overrides``; a bad one is a ConfigurationError."""
    merged = {**LIFECYCLE.deadlines, **(overrides or {})}
    try:
        check_deadlines(LIFECYCLE, merged)
    except InvalidDefinition as exc:
        raise ConfigurationError(str(exc)) from exc
    return merged


def stuck_orders(
    engine: Engine,
    *,
    deadlines: Mapping[OrderState, timedelta] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Iterator[StuckOrder]:
    """Every order past its state's deadline, oldest order first."""
    limits = deadlines_with(deadlines)
    now = clock()
    for view in engine.orders():
        state = OrderState(view.state)
        deadline = limits.get(state)
        if deadline is None:
            continue
        entered = entered_at(view)
        if entered is None or now - entered <= deadline:
            continue
        last = view.history[-1] if view.history else None
        yield StuckOrder(
            upstream_id=view.upstream_id,
            order_id=view.order_id,
            checkout_id=view.checkout_id,
            state=state,
            since=entered,
            age=now - entered,
            deadline=deadline,
            last_signal=(last.event_type or last.trigger) if last else None,
            last_signal_at=to_db_time(last.recorded_at) if last else None,
        )


def entered_at(view: OrderView) -> datetime | None:
    """When the order entered its current state (its history's last move into it)."""
    entered: datetime | None = None
    for row in view.history:
        moved_in = row.to_state is not None and row.to_state.value == view.state
        if moved_in and (row.from_state != row.to_state or entered is None):
            entered = to_db_time(row.recorded_at)
    return entered


def _stamp(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None
