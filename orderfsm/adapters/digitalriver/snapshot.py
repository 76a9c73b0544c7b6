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


class ReadSnapshot(dict[str, Any]):
    """A snapshot the mapping has just read through the Order model, carrying that reading.

    The engine builds every effect of a transition from the snapshot its
    signal carries, and the mapping read that very object a moment before: the
    reading travels with the object (and dies with it) instead of being
    repeated. Snapshots are records (the engine copies, never edits them), so
    the object still holds the order it was read as; a copy (``dict(...)``) or
    a snapshot read back from the database is an ordinary mapping, read again.
    """

    __slots__ = ("order",)

    def __init__(self, data: Mapping[str, Any], order: Order) -> None:
        super().__init__(data)
        self.order = order


def read_snapshot(data: Mapping[str, Any], order: Order) -> ReadSnapshot:
    """``data`` (a DR order's JSON object) as a snapshot, with ``order``, its reading."""
    return ReadSnapshot(data, order)


def snapshot_order(snapshot: Snapshot | None) -> Order | None:
    """The order ``snapshot`` holds; ``None`` for no snapshot (nothing heard from DR yet).

    A snapshot that is not a DR order raises
    :class:`~orderfsm.errors.PayloadError` naming what is wrong.
    """
    if not snapshot:
        return None
    if isinstance(snapshot, ReadSnapshot):
        return snapshot.order
    return parse_order(snapshot)


def redirect_url(snapshot: Snapshot | None) -> str | None:
    """The URL a ``redirect`` next action sends the shopper to, if the snapshot has one."""
    order = snapshot_order(snapshot)
    data = order.next_action_data if order is not None else None
    return data.redirect_url if data is not None else None
