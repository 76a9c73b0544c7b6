"""The floor benchmark 3 divides by: a journal's lines parsed and its rows written, nothing more.

The same journal file as ``orderfsm apply``, on orderfsm's own schema and
PRAGMAs, in one process: each line parsed with the fastest JSON parser
installed (orjson, else pydantic-core from bytes); orders kept in a dict
(as the write-behind batch keeps them); per line the state decided from a
dict keyed by event type (:mod:`bench.raw_sql`'s tables), and the rows
orderfsm writes (a new order per submit, the order update, one history row,
the entered state's outbox rows) sent with plain ``sqlite3`` ``executemany``
in batches of 500 lines, one commit per batch.

It validates nothing, knows no guards, walks, parking or disputes: it is what
"read these lines and store their consequences" costs at least in Python.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.raw_sql import DEST, INTERNAL, ON_ENTER, RANK, TERMINAL

try:
    import orjson

    loads: Callable[[bytes], Any] = orjson.loads
    dumps: Callable[[Any], bytes] = orjson.dumps
    PARSER = "orjson"
except ImportError:  # pragma: no cover - orjson is in the dev extra
    from pydantic_core import from_json, to_json

    loads, dumps, PARSER = from_json, to_json, "pydantic-core"

BATCH = 500
SUBMIT = (
    "INSERT INTO orders (id, upstream_id, checkout_id, state, charges, disputed, version, "
    "created_at, updated_at) VALUES (?, ?, ?, 'submitted', '[]', 0, 1, ?, ?)"
)
UPDATE = (
    "UPDATE orders SET dr_order_id = ?, state = ?, fraud_state = ?, charges = ?, "
    "snapshot = ?, dr_time = ?, version = version + 1, updated_at = ? WHERE id = ?"
)
HISTORY = (
    "INSERT INTO order_history (order_id, event_id, step, trigger, from_state, to_state, "
    "origin, event_type, dr_time, recorded_at, outcome) "
    "VALUES (?, ?, 0, ?, ?, ?, 'webhook', ?, ?, ?, ?)"
)
OUTBOX = (
    "INSERT INTO outbox (order_id, effect, idempotency_key, payload, status, attempts, "
    "next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?) "
    "ON CONFLICT (idempotency_key) DO NOTHING"
)


@dataclass(slots=True)
class _Order:
    id: int
    upstream_id: str
    state: str = "submitted"


@dataclass(slots=True)
class FloorStats:
    """What the floor wrote."""

    lines: int = 0
    orders: int = 0
    updates: int = 0
    history: int = 0
    outbox: int = 0


class _Rows:
    """The rows of one batch, sent with ``executemany`` and committed together."""

    def __init__(self) -> None:
        self.submits: list[tuple[Any, ...]] = []
        self.updates: list[tuple[Any, ...]] = []
        self.history: list[tuple[Any, ...]] = []
        self.outbox: list[tuple[Any, ...]] = []

    def flush(self, connection: sqlite3.Connection, stats: FloorStats) -> None:
        connection.execute("BEGIN IMMEDIATE")
        for sql, rows in (
            (SUBMIT, self.submits),
            (UPDATE, self.updates),
            (HISTORY, self.history),
            (OUTBOX, self.outbox),
        ):
            connection.executemany(sql, rows)
        connection.execute("COMMIT")
        stats.orders += len(self.submits)
        stats.updates += len(self.updates)
        stats.history += len(self.history)
        stats.outbox += len(self.outbox)
        self.__init__()  # type: ignore[misc]


def replay_floor(database: Path, lines: Iterable[bytes], pragmas: Iterable[str]) -> FloorStats:
    """Apply ``lines`` to ``database`` (at orderfsm's schema, no orders yet) as the floor."""
    connection = sqlite3.connect(database, isolation_level=None)
    for pragma in pragmas:
        connection.execute(pragma)
    stats = FloorStats()
    rows = _Rows()
    orders: dict[str, _Order] = {}
    seen: set[str] = set()
    try:
        for line in lines:
            stats.lines += 1
            _line(loads(line), orders, seen, rows)
            if stats.lines % BATCH == 0:
                rows.flush(connection, stats)
        rows.flush(connection, stats)
    finally:
        connection.close()
    return stats


def _line(data: dict[str, Any], orders: dict[str, _Order], seen: set[str], rows: _Rows) -> None:
    now = datetime.now(UTC).isoformat()
    kind = data.get("kind")
    if kind == "submit":
        order = _Order(len(orders) // 2 + 1, data["upstreamId"])
        orders[data["upstreamId"]] = orders[data["checkoutId"]] = order
        rows.submits.append((order.id, order.upstream_id, data["checkoutId"], now, now))
        return
    if kind == "create_order_response":
        body = data["body"]
        _move(orders[data["upstreamId"]], body, body.get("state"), None, rows, now, "")
        return
    event_type = data["type"]
    if event_type not in DEST and event_type not in INTERNAL:
        return
    obj = data["data"]["object"]
    details = obj.get("orderDetails") or obj
    order = orders.get(obj.get("orderId") or obj["id"]) or orders.get(details.get("checkoutId"))
    if order is None:
        return  # orderfsm parks it; the floor does not
    if data["id"] in seen:
        state, at = order.state, data["createdTime"]
        rows.history.append(
            (order.id, data["id"], event_type, state, state, event_type, at, now, "duplicate")
        )
        return
    seen.add(data["id"])
    _move(order, details, DEST.get(event_type), data, rows, now, event_type)


def _move(
    order: _Order,
    details: dict[str, Any],
    dest: str | None,
    event: dict[str, Any] | None,
    rows: _Rows,
    now: str,
    trigger: str,
) -> None:
    state = order.state
    dest = dest if dest in RANK or dest in TERMINAL else state
    refused = state in TERMINAL or (dest != state and RANK.get(dest, 9) <= RANK[state])
    event_id = event["id"] if event else None
    dr_time = event["createdTime"] if event else None
    outcome = ("terminal" if state in TERMINAL else "stale") if refused else "applied"
    to_state = state if refused else dest
    rows.history.append(
        (order.id, event_id, trigger, state, to_state, trigger, dr_time, now, outcome)
    )
    if refused:
        return
    payment = details.get("payment") or {}
    charges = [{"id": c["id"], "state": c["state"]} for c in payment.get("charges", ())]
    rows.updates.append(
        (
            details.get("id"),
            dest,
            details.get("fraudState"),
            dumps(charges).decode(),
            dumps(details).decode(),
            dr_time,
            now,
            order.id,
        )
    )
    order.state = dest
    for effect in ON_ENTER.get(dest, ()) if dest != state else ():
        payload = {"orderId": details.get("id"), "upstreamId": order.upstream_id}
        payload["email"], payload["items"] = details.get("email"), details.get("items")
        key = f"{order.upstream_id}:{dest}:{effect}"
        rows.outbox.append((order.id, effect, key, dumps(payload).decode(), now, now, now))
