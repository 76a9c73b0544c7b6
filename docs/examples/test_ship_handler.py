"""A backend tests its ship-request handler with orderfsm.testing (see docs/testing.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hypothesis.stateful import invariant

from orderfsm import EffectName
from orderfsm.dispatch import Effect, EffectItem, Handler, ShipmentRequest
from orderfsm.testing import (
    DrStep,
    HistoryPlan,
    ItemKind,
    OrderLifecycleMachine,
    OrderShape,
    Sent,
    build_history,
    harness_settings,
)

# -- the backend's own code (in your package, not in your tests) ---------------


class Warehouse(Protocol):
    """The warehouse API the backend ships through."""

    def create_shipment(
        self, order: str, idempotency_key: str, lines: list[tuple[str, int]], address: str
    ) -> None: ...


def ship_request_handler(warehouse: Warehouse) -> Callable[[Effect[ShipmentRequest]], None]:
    """Turn orderfsm's request_shipment into a warehouse shipment."""

    def handle(effect: Effect[ShipmentRequest]) -> None:
        request = effect.payload
        lines = [(item.sku_id or item.id, item.quantity or 1) for item in request.items]
        contact = request.ship_to
        address = ", ".join(contact.address.lines()) if contact and contact.address else ""
        # The effect's key makes a repeated delivery harmless at the warehouse.
        warehouse.create_shipment(effect.upstream_id, effect.key, lines, address)

    return handle


def is_physical(item: EffectItem) -> bool:
    """Our catalogue knows which SKUs ship, for events where DR left the flag out."""
    return "digital" not in (item.sku_id or "")


# -- the tests -----------------------------------------------------------------


@dataclass(frozen=True)
class Shipment:
    order: str
    idempotency_key: str
    lines: list[tuple[str, int]]
    address: str


class FakeWarehouse:
    """Like the real warehouse API: one shipment per idempotency key."""

    def __init__(self) -> None:
        self.shipments: dict[str, Shipment] = {}

    def create_shipment(
        self, order: str, idempotency_key: str, lines: list[tuple[str, int]], address: str
    ) -> None:
        self.shipments.setdefault(idempotency_key, Shipment(order, idempotency_key, lines, address))


@harness_settings(max_examples=25)
class ShippingMachine(OrderLifecycleMachine):
    """Every delivery DR could make, against our ship-request handler."""

    def handlers(self) -> Mapping[EffectName, Handler]:
        self.warehouse = FakeWarehouse()
        return {EffectName.REQUEST_SHIPMENT: ship_request_handler(self.warehouse)}

    def classifier(self) -> Callable[[EffectItem], bool]:
        return is_physical

    def sent(self) -> Sequence[Sent]:
        # What the warehouse received, so the harness judges our handler, not
        # just the effects it was given.
        return [
            Sent(EffectName.REQUEST_SHIPMENT, s.idempotency_key, s.order)
            for s in self.warehouse.shipments.values()
        ]

    @invariant()
    def every_shipment_has_lines_and_an_address(self) -> None:
        for shipment in self.warehouse.shipments.values():
            assert shipment.lines and shipment.address, shipment


TestShipping = ShippingMachine.TestCase


def test_an_accepted_order_ships_its_physical_items(
    orderfsm_feed: Callable[[Any], Any], orderfsm_dispatch: Callable[..., Any]
) -> None:
    history = build_history(
        HistoryPlan(
            OrderShape(items=(ItemKind.PHYSICAL, ItemKind.DIGITAL), expanded=True),
            steps=(DrStep.FULFIL,),
        )
    )
    orderfsm_feed([delivery.line for delivery in history.in_dr_order()])
    warehouse = FakeWarehouse()

    orderfsm_dispatch(
        {EffectName.REQUEST_SHIPMENT: ship_request_handler(warehouse)}, classifier=is_physical
    )

    [shipment] = warehouse.shipments.values()
    assert shipment.order == history.upstream_id
    assert shipment.lines == [("sku-physical-1", 1)]
    assert "Minneapolis" in shipment.address
