"""The DR order an order's stored snapshot holds, and what the engine reads from it.

The engine keeps DR's latest order as a JSON object (``orders.snapshot``); it
was read through :class:`~.models_order.Order` when it arrived. Anything that
needs a part of it reads it back through the same model here, so DR's shape
is known in one place (the models), never walked by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orderfsm.adapters.digitalriver.models_order import Order
from orderfsm.adapters.digitalriver.parse import parse_order

Snapshot = Mapping[str, Any]
"""A DR order as stored: the JSON object of a ``201`` answer or an ``order.*`` event."""

# The engine builds every effect of a transition from the same snapshot object,
# one call each; reading it once instead of three times keeps an accepted
# order's payloads at about half the cost. Snapshots are records (the engine
# copies, never edits them), so the same object means the same order.
_last_read: tuple[Snapshot, Order] | None = None


def snapshot_order(snapshot: Snapshot | None) -> Order | None:
    """The order ``snapshot`` holds; ``None`` for no snapshot (nothing heard from DR yet).

    A snapshot that is not a DR order raises
    :class:`~orderfsm.errors.PayloadError` naming what is wrong.
    """
    global _last_read
    if not snapshot:
        return None
    last = _last_read
    if last is not None and last[0] is snapshot:
        return last[1]
    order = parse_order(snapshot)
    _last_read = (snapshot, order)
    return order


def redirect_url(snapshot: Snapshot | None) -> str | None:
    """The URL a ``redirect`` next action sends the shopper to, if the snapshot has one."""
    order = snapshot_order(snapshot)
    data = order.next_action_data if order is not None else None
    return data.redirect_url if data is not None else None
