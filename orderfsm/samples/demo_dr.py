"""The demo's orders against the sandbox: what each checkout does at DR and what the shop does.

Each :class:`DemoOrder` names its sandbox scenario, the fault the sandbox
injects just before its ``POST /orders`` (a lost answer, a ``429``, a
duplicated webhook), what the shop ships or cancels, and the state the order
must end in. Shipments marked ``during_outage`` are reported while the
receiver is down, so DR gives up on their webhooks and reconcile repairs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from orderfsm.fsm.states import OrderState
from orderfsm.sandbox.scenarios import Scenario


class Shipping(StrEnum):
    """What the shop does with an order once DR accepted it."""

    NOTHING = "nothing"
    ALL = "all"
    """Ship every item in one fulfilment."""
    IN_TWO_PARTS = "in_two_parts"
    """Ship one unit of the first item, then the rest."""
    CANCEL_ALL = "cancel_all"
    """Cancel every item before shipping (``cancelQuantity``)."""


@dataclass(frozen=True, slots=True)
class DemoOrder:
    """One order of the demo and what must become of it."""

    upstream_id: str
    scenario: Scenario
    story: str
    expected: OrderState
    shipping: Shipping = Shipping.NOTHING
    fault: str = ""
    """A sandbox fault SPEC set just before this order's ``POST /orders``."""
    during_outage: bool = False
    """The last shipment is reported while the receiver is down."""

    @property
    def checkout_id(self) -> str:
        """The sandbox checkout this order is made from."""
        return f"co-{self.upstream_id.lower()}"


DEMO_ORDERS = (
    DemoOrder(
        "SHOP-0001",
        Scenario.ACCEPTED,
        "accepted at once; shipped in two parts, the second during the outage",
        OrderState.COMPLETE,
        Shipping.IN_TWO_PARTS,
        during_outage=True,
    ),
    DemoOrder(
        "SHOP-0002",
        Scenario.REVIEW_THEN_ACCEPTED,
        "fraud review, then accepted; shipped",
        OrderState.COMPLETE,
        Shipping.ALL,
    ),
    DemoOrder(
        "SHOP-0003",
        Scenario.REVIEW_THEN_BLOCKED,
        "fraud review, then blocked by DR",
        OrderState.BLOCKED,
    ),
    DemoOrder(
        "SHOP-0004",
        Scenario.PENDING_THEN_ACCEPTED,
        "paid later by wire transfer; cancelled by the shop",
        OrderState.CANCELLED,
        Shipping.CANCEL_ALL,
    ),
    DemoOrder("SHOP-0005", Scenario.PAYMENT_FAILED, "payment refused (409)", OrderState.REJECTED),
    DemoOrder(
        "SHOP-0006",
        Scenario.ACCEPTED,
        "POST /orders answer lost; found with GET /orders",
        OrderState.COMPLETE,
        Shipping.ALL,
        fault="lose=1",
    ),
    DemoOrder(
        "SHOP-0007",
        Scenario.ACCEPTED,
        "429 with Retry-After 1 honoured; not shipped yet",
        OrderState.ACCEPTED,
        fault="429=1@1",
    ),
    DemoOrder(
        "SHOP-0008",
        Scenario.ACCEPTED,
        "its webhook delivered twice; shipped",
        OrderState.COMPLETE,
        Shipping.ALL,
        fault="dup=1",
    ),
    DemoOrder(
        "SHOP-0009",
        Scenario.ACCEPTED,
        "shipped during the outage",
        OrderState.COMPLETE,
        Shipping.ALL,
        during_outage=True,
    ),
)
"""The demo's orders, submitted in this order."""
