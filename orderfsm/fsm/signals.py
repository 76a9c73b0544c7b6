"""What a DR answer or event tells the machine, stripped of DR's wire shapes.

The Digital River adapter turns payloads into these plain, frozen values; the
guards and the engine read only them. Nothing here parses or performs I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orderfsm.fsm.items import FulfilmentReport, ItemLedger
from orderfsm.fsm.outcomes import SignalOrigin
from orderfsm.fsm.refs import OrderRefs
from orderfsm.fsm.states import Trigger

AUTHORIZED_CHARGE_STATES = frozenset({"capturable", "processing", "complete"})
"""Charge states in which DR has authorized the money (accepted needs all of them)."""

ENDED_CHARGE_STATES = frozenset({"cancelled", "failed"})
"""Charge states after which nothing will be collected (cancelled needs all of them)."""


@dataclass(frozen=True, slots=True)
class ChargeFact:
    """One DR charge: its id and state (pending, capturable, ..., failed).

    ``as_of`` is DR's time of the news the state came from (an order snapshot
    or a charge event), so an older snapshot never rolls a charge back. It is
    bookkeeping, not part of the charge: two facts with the same id and state
    are equal whenever they were heard.
    """

    id: str
    state: str
    as_of: datetime | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ItemFact:
    """One order line: its DR id and whether it ships (``None``: DR did not say)."""

    id: str
    physical: bool | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """The parts of DR's order that guards and effects decide on."""

    dr_state: str | None = None
    fraud_state: str | None = None
    charges: tuple[ChargeFact, ...] = ()
    next_action: str | None = None
    items: tuple[ItemFact, ...] = ()
    state_times: Mapping[str, datetime] = field(default_factory=dict)
    report: FulfilmentReport | None = None
    """What the platform shipped or cancelled (its fulfilment signal only)."""
    ledger: tuple[ItemLedger, ...] = ()
    """The order's items as they stand, given to the guards of a platform report."""


@dataclass(frozen=True, slots=True)
class Signal:
    """One DR answer or event, mapped to the trigger it asks for.

    ``dr_time`` is DR's clock for the signal (event ``createdTime``, or the
    ``stateTransitions`` stamp of the state a 201 answer reports); the engine
    judges staleness with it, never with the time of delivery.
    """

    trigger: Trigger
    source: SignalOrigin
    event_type: str
    event_id: str | None = None
    dr_time: datetime | None = None
    dr_order_id: str | None = None
    checkout_id: str | None = None
    upstream_id: str | None = None
    facts: Facts = field(default_factory=Facts)
    charge: ChargeFact | None = None
    customer_message: str | None = None
    """Text a customer may read (never a DR error code); set for payment failures."""
    snapshot: Mapping[str, Any] = field(default_factory=dict)
    """The DR object as received, kept for history and effect payloads."""

    @property
    def refs(self) -> OrderRefs:
        """The ids this signal names its order by."""
        return OrderRefs(self.dr_order_id, self.checkout_id, self.upstream_id)


@dataclass(frozen=True, slots=True)
class NotRelevant:
    """A DR event the lifecycle does not act on; acknowledged and recorded."""

    event_type: str
    event_id: str | None
    reason: str
