"""Effect payloads built from real DR orders, and read back into their typed models."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orderfsm.adapters.digitalriver.effect_payloads import effect_payload
from orderfsm.dispatch import (
    PAYLOAD_TYPES,
    DigitalDelivery,
    OrderCancelled,
    PaymentFailed,
    PaymentInstructions,
    ShipmentRequest,
)
from orderfsm.fsm.effects import EffectName


def dr_order(dr_fixtures: Path, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((dr_fixtures / name).read_text())
    return loaded["data"]["object"] if "data" in loaded else loaded


def build(effect: EffectName, order: dict[str, Any] | None, **kw: Any) -> Any:
    payload = effect_payload(effect, order, upstream_id="SHOP-1", dr_order_id=None, **kw)
    json.dumps(payload)  # what the outbox stores must be plain JSON
    return PAYLOAD_TYPES[effect].model_validate(payload)


def test_every_effect_of_the_vocabulary_has_a_payload_type() -> None:
    assert set(PAYLOAD_TYPES) == set(EffectName)


FROM_DR_SNAPSHOT = [e for e in EffectName if e is not EffectName.NOTIFY_OPERATOR_STUCK]
"""Every effect a transition emits (the stuck scan builds notify_operator_stuck's payload:
tests/integration/test_overdue.py)."""


@pytest.mark.parametrize("effect", FROM_DR_SNAPSHOT)
def test_every_payload_round_trips_through_json_unchanged(
    dr_fixtures: Path, effect: EffectName
) -> None:
    order = dr_order(dr_fixtures, "api/order_accepted_1.json")
    stored = effect_payload(effect, order, upstream_id="SHOP-1", dr_order_id="1038474530082")

    model = PAYLOAD_TYPES[effect].model_validate(json.loads(json.dumps(stored)))

    assert model.model_dump(mode="json") == stored
    assert (model.upstream_id, model.order_id) == ("SHOP-1", "1038474530082")


def test_a_shipment_request_carries_item_id_sku_quantity_and_ship_to(dr_fixtures: Path) -> None:
    order = dr_order(dr_fixtures, "api/order_accepted_1.json")

    payload = build(EffectName.REQUEST_SHIPMENT, order)

    assert isinstance(payload, ShipmentRequest)
    assert payload.order_id == order["id"]
    assert [(i.id, i.sku_id, i.quantity, i.physical) for i in payload.items] == [
        ("50418820082", "b646aeaa-efe1-4fe4-a88f-73212b40381c", 1, True)
    ]
    assert payload.ship_to is not None and payload.ship_to.address is not None
    assert payload.ship_to.name == "John Smith"
    assert payload.ship_to.address.postal_code == "55129"


def test_items_split_between_shipment_and_digital_delivery_with_unknown_ones_in_both() -> None:
    order = {
        "id": "DR1",
        "state": "accepted",
        "email": "shopper@example.com",
        "items": [
            {"id": "box", "skuId": "s1", "quantity": 1, "productDetails": {"physical": True}},
            {"id": "ebook", "skuId": "s2", "quantity": 1, "productDetails": {"physical": False}},
            {"id": "mystery", "skuId": "s3", "quantity": 1, "productDetails": {}},
            {"id": "sku-flagged", "sku": {"id": "s4", "physical": True}, "quantity": 2},
        ],
    }

    shipment = build(EffectName.REQUEST_SHIPMENT, order)
    digital = build(EffectName.DELIVER_DIGITAL, order)

    assert isinstance(digital, DigitalDelivery)
    assert [(i.id, i.physical) for i in shipment.items] == [
        ("box", True),
        ("mystery", None),
        ("sku-flagged", True),
    ]
    assert [(i.id, i.physical) for i in digital.items] == [("ebook", False), ("mystery", None)]
    assert digital.email == "shopper@example.com"
    assert shipment.items[2].sku_id == "s4"


def test_a_cancellation_carries_everything_domain_section_4_asks_for(dr_fixtures: Path) -> None:
    order = dr_order(dr_fixtures, "events/order.cancelled__1.json")

    payload = build(EffectName.NOTIFY_ORDER_CANCELLED, order)

    assert isinstance(payload, OrderCancelled)
    assert (payload.upstream_id, payload.order_id) == ("SHOP-1", "231722950336")
    assert payload.cancelled_at == datetime(2022, 7, 5, 15, 17, 51, tzinfo=UTC)
    assert [(i.id, i.name, i.quantity) for i in payload.items] == [
        ("158512920336", "Logitech Keyboard", 1)
    ]
    assert payload.payment_method is not None
    assert payload.payment_method.label == "wire transfer"
    assert (payload.total_cancelled, payload.currency) == (Decimal("10.75"), "USD")
    assert payload.bill_to is not None and payload.bill_to.address is not None
    assert payload.bill_to.address.lines() == ["123 Main Street", "Minnetonka, MN 55343", "US"]


def test_a_card_payment_method_is_its_brand_and_last_four_digits(dr_fixtures: Path) -> None:
    order = dr_order(dr_fixtures, "api/order_accepted_1.json")

    payload = build(EffectName.NOTIFY_ORDER_CANCELLED, order)

    assert payload.payment_method.label == "Visa ending in 1111"


def test_payment_instructions_name_the_source_dr_asks_to_show(dr_fixtures: Path) -> None:
    order = dr_order(dr_fixtures, "events/order.cancelled__1.json")

    payload = build(EffectName.SEND_PAYMENT_INSTRUCTIONS, order)

    assert isinstance(payload, PaymentInstructions)
    assert payload.source_id == "a1ff68c2-fafd-4d06-9315-f9fb48443d10"
    assert payload.email == "null@digitalriver.com"
    assert payload.instructions["referenceId"] == "890701505439"
    assert (payload.amount, payload.currency) == (Decimal("10.75"), "USD")


def test_a_payment_failure_carries_the_customer_message_and_no_order_is_needed() -> None:
    payload = build(
        EffectName.NOTIFY_PAYMENT_FAILED, None, customer_message="Your card was declined."
    )

    assert isinstance(payload, PaymentFailed)
    assert payload.message == "Your card was declined."
    assert (payload.order_id, payload.email) == (None, None)


def test_a_cancellation_lists_only_the_lines_dr_marks_cancelled_when_it_marks_any() -> None:
    order = {
        "id": "DR1",
        "state": "pending_payment",
        "items": [
            {"id": "a", "quantity": 1, "state": "cancelled"},
            {"id": "b", "quantity": 1, "state": "fulfilled"},
        ],
    }

    payload = build(EffectName.NOTIFY_ORDER_CANCELLED, order)

    assert [i.id for i in payload.items] == ["a"]
