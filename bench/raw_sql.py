"""The baseline the persisted benchmarks divide by: the least SQL one event needs.

For each webhook body, on the same schema as orderfsm and through the bare
DB-API driver (``sqlite3`` or ``psycopg``): read the JSON, look the event id up
in history (deduplication), read the order (locked on PostgreSQL), decide the
new state from a dict keyed by event type, then update the order, append one
history row, enqueue the entered state's effects (``ON CONFLICT DO
NOTHING``), and commit: one transaction per event, as the engine does.

It knows nothing of guards, walks, parking or disputes; it is what the
hand-written minimum of "store an event's consequences durably" costs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

DEST = {
    "order.pending_payment": "pending_payment",
    "order.review_opened": "in_review",
    "order.accepted": "accepted",
    "order.blocked": "blocked",
    "order.cancelled": "cancelled",
    "order.fulfilled": "fulfilled",
    "order.complete": "complete",
    "order.refunded": "returned",
}
"""Event types that move the order, to the state they announce."""

INTERNAL = frozenset(
    {
        "order.charge.failed",
        "fulfillment.created",
        "order.charge.capture.complete",
        "order.charge.capture.failed",
        "order.charge.cancel.complete",
        "order.charge.refund.complete",
        "order.dispute",
        "order.dispute.resolved",
        "checkout_session.order.created",
    }
)
"""Event types recorded without a state change."""

RANK = {
    "submitted": 0,
    "pending_payment": 1,
    "in_review": 2,
    "accepted": 3,
    "fulfilled": 4,
    "complete": 5,
}
TERMINAL = frozenset({"returned", "rejected", "blocked", "cancelled"})
ON_ENTER = {
    "accepted": ("send_order_confirmation", "request_shipment", "deliver_digital"),
    "pending_payment": (),
    "blocked": ("notify_order_blocked",),
    "cancelled": ("notify_order_cancelled",),
}

DEDUP = (
    "SELECT 1 FROM order_history WHERE event_id = ? AND step = 0 "
    "AND outcome NOT IN ('duplicate', 'parked')"
)
BY_DR_ID = "SELECT id, upstream_id, state, version FROM orders WHERE dr_order_id = ?"
BY_CHECKOUT = "SELECT id, upstream_id, state, version FROM orders WHERE checkout_id = ?"
UPDATE = (
    "UPDATE orders SET dr_order_id = ?, state = ?, fraud_state = ?, charges = ?, "
    "snapshot = ?, dr_time = ?, version = version + 1, updated_at = ? "
    "WHERE id = ? AND version = ?"
)
HISTORY = (
    "INSERT INTO order_history (order_id, event_id, step, trigger, from_state, to_state, "
    "origin, event_type, dr_time, recorded_at, outcome, reason) "
    "VALUES (?, ?, 0, ?, ?, ?, 'webhook', ?, ?, ?, ?, ?)"
)
OUTBOX = (
    "INSERT INTO outbox (order_id, effect, idempotency_key, payload, status, attempts, "
    "next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?) "
    "ON CONFLICT (idempotency_key) DO NOTHING"
)


class Cursor(Protocol):
    """The part of a DB-API cursor the baseline uses."""

    def execute(self, sql: str, params: Any = ..., /) -> Any: ...

    def fetchone(self) -> Any: ...


class Connection(Protocol):
    """The part of a DB-API connection the baseline uses."""

    def cursor(self) -> Any: ...

    def commit(self) -> Any: ...


@dataclass(slots=True)
class RawStats:
    """What the baseline did, to compare with what the engine did."""

    events: int = 0
    applied: int = 0
    refused: int = 0
    duplicates: int = 0
    ignored: int = 0


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between drivers: the placeholder, the lock, how a transaction starts."""

    placeholder: str
    lock: str
    begin: str | None

    def sql(self, statement: str) -> str:
        """``statement`` with this driver's placeholders."""
        return statement.replace("?", self.placeholder)


SQLITE = Dialect("?", "", "BEGIN IMMEDIATE")
"""sqlite3 in autocommit mode with explicit ``BEGIN IMMEDIATE``, as orderfsm runs it."""
POSTGRES = Dialect("%s", " FOR UPDATE", None)
"""psycopg: a transaction starts implicitly; the order row is locked."""


def apply_bodies(connection: Connection, dialect: Dialect, bodies: Iterable[bytes]) -> RawStats:
    """Apply each webhook body in its own transaction."""
    dedup = dialect.sql(DEDUP)
    by_dr_id = dialect.sql(BY_DR_ID + dialect.lock)
    by_checkout = dialect.sql(BY_CHECKOUT + dialect.lock)
    update = dialect.sql(UPDATE)
    history = dialect.sql(HISTORY)
    outbox = dialect.sql(OUTBOX)
    stats = RawStats()
    cursor = connection.cursor()
    for body in bodies:
        stats.events += 1
        event = json.loads(body)
        kind = event["type"]
        if kind not in DEST and kind not in INTERNAL:
            stats.ignored += 1
            continue
        obj = event["data"]["object"]
        details = obj.get("orderDetails") or obj
        dr_id = obj.get("orderId") or obj["id"]
        now = datetime.now(UTC).isoformat()
        if dialect.begin:
            cursor.execute(dialect.begin)
        cursor.execute(by_dr_id, (dr_id,))
        row = cursor.fetchone()
        if row is None and details.get("checkoutId"):
            cursor.execute(by_checkout, (details["checkoutId"],))
            row = cursor.fetchone()
        if row is None:
            raise LookupError(f"the baseline needs every order submitted first ({dr_id})")
        order_id, upstream_id, state, version = row
        common = (order_id, event["id"], kind, state)
        cursor.execute(dedup, (event["id"],))
        if cursor.fetchone() is not None:
            stats.duplicates += 1
            cursor.execute(
                history,
                (*common, state, kind, event["createdTime"], now, "duplicate", "already processed"),
            )
            connection.commit()
            continue
        dest = DEST.get(kind, state)
        if state in TERMINAL or (dest != state and RANK.get(dest, 9) <= RANK[state]):
            stats.refused += 1
            outcome = "terminal" if state in TERMINAL else "stale"
            cursor.execute(
                history, (*common, state, kind, event["createdTime"], now, outcome, None)
            )
            connection.commit()
            continue
        stats.applied += 1
        payment = details.get("payment") or {}
        charges = [{"id": c["id"], "state": c["state"]} for c in payment.get("charges", ())]
        cursor.execute(
            update,
            (
                dr_id,
                dest,
                details.get("fraudState"),
                json.dumps(charges),
                json.dumps(obj),
                event["createdTime"],
                now,
                order_id,
                version,
            ),
        )
        cursor.execute(history, (*common, dest, kind, event["createdTime"], now, "applied", None))
        for effect in ON_ENTER.get(dest, ()) if dest != state else ():
            payload = {
                "orderId": dr_id,
                "upstreamId": upstream_id,
                "email": details.get("email"),
                "items": details.get("items"),
            }
            cursor.execute(
                outbox,
                (
                    order_id,
                    effect,
                    f"{upstream_id}:{dest}:{effect}",
                    json.dumps(payload),
                    now,
                    now,
                    now,
                ),
            )
        connection.commit()
    return stats
