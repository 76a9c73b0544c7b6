"""The platform's own signal: what it shipped or cancelled, per item.

:func:`report_signal` turns a :class:`~orderfsm.fsm.items.FulfilmentReport`
into the lifecycle's ``report_fulfillment`` signal. Its event id is the
report's id, so a report sent again (the host retrying a call whose answer
it lost) is a duplicate, and the ``report_fulfillment`` effect it enqueues
has a key of its own (``upstream:report_fulfillment:report id:...``).
"""

from __future__ import annotations

import uuid

from orderfsm.errors import ConfigurationError
from orderfsm.fsm.items import FulfilmentReport
from orderfsm.fsm.outcomes import SignalOrigin
from orderfsm.fsm.signals import Facts, Signal
from orderfsm.fsm.states import Trigger

FULFILMENT_EVENT = "platform.fulfillment"
"""The history's event type of a report that ships items."""
CANCELLATION_EVENT = "platform.cancellation"
"""The history's event type of a report that only cancels items."""
REPORT_ID_PREFIX = "report:"
"""Report ids are prefixed so they never meet DR's event ids."""


def new_report_id() -> str:
    """A fresh report id (hosts may pass their own to make a retried call a duplicate)."""
    return uuid.uuid4().hex


def report_signal(upstream_id: str, report: FulfilmentReport, report_id: str) -> Signal:
    """The ``report_fulfillment`` signal of ``report`` for the platform's order ``upstream_id``.

    Quantities are checked for shape here (ConfigurationError); whether they
    fit what is open is the lifecycle guard's to judge, under the order's lock.
    """
    if not report_id:
        raise ConfigurationError("a report needs an id")
    if not report.items and not report.cancel_all:
        raise ConfigurationError("a report needs at least one ITEM_ID=QTY (or a full cancellation)")
    for line in report.items:
        if not line.item_id:
            raise ConfigurationError("a reported item needs an item id")
        if line.quantity < 0 or line.cancel_quantity < 0:
            raise ConfigurationError(f"item {line.item_id}: quantities must not be negative")
        if line.quantity == 0 and line.cancel_quantity == 0:
            raise ConfigurationError(f"item {line.item_id}: a quantity must be at least 1")
    ships = any(line.quantity for line in report.items)
    return Signal(
        trigger=Trigger.REPORT_FULFILLMENT,
        source=SignalOrigin.PLATFORM,
        event_type=FULFILMENT_EVENT if ships else CANCELLATION_EVENT,
        event_id=REPORT_ID_PREFIX + report_id,
        upstream_id=upstream_id,
        facts=Facts(report=report),
    )
