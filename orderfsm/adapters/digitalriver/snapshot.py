"""The DR order an order's stored snapshot holds, and what the engine reads from it.

The engine keeps DR's latest order as a JSON object (``orders.snapshot``); it
was read through :class:`~.models_order.Order` when it arrived. Anything that
needs a part of it reads it back through the same model here, so DR's shape
is known in one place (the models), never walked by hand.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from orderfsm.adapters.digitalriver.models_order import Order
from orderfsm.adapters.digitalriver.parse import ParsedJson, parse_order

Snapshot = Mapping[str, Any]
"""A DR order as stored: the JSON object of a ``201`` answer or an ``order.*`` event."""


class CheckedSnapshot(dict[str, Any]):
    """A snapshot taken from a payload the adapter read, so within the input limits.

    Its payload met :mod:`.limits` as a whole before the mapping took it, and
    snapshots are records (never edited): reading it again through the Order
    model (once the memory below has forgotten it: a journal prepares 500
    lines before applying any) checks it as parsed JSON, not walked whole.
    It holds nothing but the JSON (a reading kept alive made replays slower).
    """

    __slots__ = ()

# The engine builds every effect of a transition from the snapshot its signal
# carries, and the mapping has just read that very object through the Order
# model: the reading is remembered by object identity (the objects are held,
# so an identity is never reused while remembered) and not repeated. Only a
# few are kept: a journal prepares 500 lines before applying them, but keeping
# 1,024 snapshots alive made replays no faster (the collector walks them).
# Snapshots are records (the engine copies, never edits them), so the same
# object means the same order.
_REMEMBERED = 16
_read: OrderedDict[int, tuple[Snapshot, Order]] = OrderedDict()
_lock = threading.Lock()


def remember_order(snapshot: Snapshot, order: Order) -> None:
    """``order`` is what reading ``snapshot`` through the Order model gave (the mapping's)."""
    with _lock:
        _read[id(snapshot)] = (snapshot, order)
        if len(_read) > _REMEMBERED:
            _read.popitem(last=False)


def snapshot_order(snapshot: Snapshot | None) -> Order | None:
    """The order ``snapshot`` holds; ``None`` for no snapshot (nothing heard from DR yet).

    A snapshot that is not a DR order raises
    :class:`~orderfsm.errors.PayloadError` naming what is wrong.
    """
    if not snapshot:
        return None
    with _lock:
        known = _read.get(id(snapshot))
    if known is not None and known[0] is snapshot:
        return known[1]
    payload = ParsedJson(snapshot) if isinstance(snapshot, CheckedSnapshot) else snapshot
    order = parse_order(payload)
    remember_order(snapshot, order)
    return order


def redirect_url(snapshot: Snapshot | None) -> str | None:
    """The URL a ``redirect`` next action sends the shopper to, if the snapshot has one."""
    order = snapshot_order(snapshot)
    data = order.next_action_data if order is not None else None
    return data.redirect_url if data is not None else None
