"""Orders put through the real engine, so the outbox rows under test are the real ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from orderfsm.persistence.outbox import OutboxEntry, list_effects
from orderfsm.samples.builders import Item, OrderSketch
from orderfsm.service import Engine

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def sketch(n: int, physical: tuple[bool | None, ...] = (True, False), **kw: Any) -> OrderSketch:
    """Order ``n``: one item per flag in ``physical``."""
    return OrderSketch(
        dr_order_id=f"DR{n}",
        checkout_id=f"CO{n}",
        upstream_id=f"UP{n}",
        items=[Item(f"it-{n}-{i}", f"sku-{i}", i + 1, 10.0, p) for i, p in enumerate(physical)],
        charge_ids=(f"ch-{n}",),
        email=f"shopper{n}@example.com",
        **kw,
    )


def accept(engine: Engine, o: OrderSketch) -> tuple[str, ...]:
    """Submit ``o`` and record a 201 accepted answer; return the effect keys enqueued."""
    engine.submit(o.upstream_id, o.checkout_id)
    result = engine.record_create_order_response(
        o.upstream_id, 201, o.order("accepted", T0, fraud_state="passed")
    )
    return result.effect_keys


def accept_orders(engine: Engine, count: int, *, first: int = 1) -> list[str]:
    """``count`` accepted orders with a physical and a digital item: three effects each."""
    keys: list[str] = []
    for n in range(first, first + count):
        keys += accept(engine, sketch(n))
    return keys


def effects(engine: Engine) -> dict[str, OutboxEntry]:
    """Every outbox row by idempotency key."""
    with engine.db.connect() as connection:
        return {e.key: e for e in list_effects(connection)}


@dataclass
class Clock:
    """A clock the test moves by hand (starts just after the real now: rows are due)."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def clock_after_now() -> Clock:
    return Clock(datetime.now(UTC) + timedelta(seconds=1))
