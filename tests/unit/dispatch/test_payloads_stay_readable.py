"""Payloads built from the parsed DR models are the ones orderfsm 0.1.0 stored.

``tests/fixtures/effects/payloads_0.1.0.json`` holds, for each real DR order in
``tests/fixtures/dr`` and each effect, the JSON the 0.1.0 builder (which walked
the snapshot dict by hand) put in the outbox. The dispatcher reads such rows
back, and JSON-lines and HTTP receivers read their keys, so the rebuilt
builder must produce the very same objects, and the old rows must still read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orderfsm.adapters.digitalriver import redirect_url
from orderfsm.adapters.digitalriver.effect_payloads import effect_payload
from orderfsm.adapters.digitalriver.models_order import Order
from orderfsm.effects import PAYLOAD_TYPES, Contact
from orderfsm.errors import PayloadError
from orderfsm.fsm.effects import EffectName

STORED = Path(__file__).parents[2] / "fixtures" / "effects" / "payloads_0.1.0.json"
NO_SNAPSHOT = "(no snapshot)"
AFTER_0_1_0 = frozenset({EffectName.REPORT_FULFILLMENT, EffectName.NOTIFY_OPERATOR_STUCK})
"""Effects 0.1.0 did not have (built from the platform's report, not DR's snapshot)."""


def _stored() -> dict[str, dict[str, Any]]:
    loaded: dict[str, dict[str, Any]] = json.loads(STORED.read_text())
    return loaded


def _snapshot(dr_fixtures: Path, name: str) -> dict[str, Any] | None:
    if name == NO_SNAPSHOT:
        return None
    loaded: dict[str, Any] = json.loads((dr_fixtures / name).read_text())
    return loaded["data"]["object"] if "data" in loaded else loaded


@pytest.mark.parametrize("name", sorted(_stored()))
def test_each_effect_payload_is_the_json_0_1_0_stored(dr_fixtures: Path, name: str) -> None:
    snapshot = _snapshot(dr_fixtures, name)
    message = None if snapshot is None else "Your card was declined."

    built = {
        effect.value: effect_payload(
            effect, snapshot, upstream_id="SHOP-1", dr_order_id=None, customer_message=message
        )
        for effect in EffectName
        if effect not in AFTER_0_1_0
    }

    assert built == _stored()[name]
    assert set(EffectName) - AFTER_0_1_0 == {EffectName(e) for e in _stored()[name]}


def test_rows_stored_by_0_1_0_read_back_into_their_models() -> None:
    for payloads in _stored().values():
        for effect, payload in payloads.items():
            model = PAYLOAD_TYPES[EffectName(effect)].model_validate(payload)
            assert model.model_dump(mode="json") == payload


def test_the_fixtures_cover_physical_digital_and_card_and_wire_payments() -> None:
    # The comparison above proves little if the orders exercise nothing.
    shipments = [p["request_shipment"] for p in _stored().values()]
    flags = {item.get("physical") for p in shipments for item in p["items"]}
    methods = {
        (p["notify_order_cancelled"].get("paymentMethod") or {}).get("type")
        for p in _stored().values()
    }
    assert True in flags
    assert {"creditCard", "wireTransfer"} <= methods
    assert any(p["send_payment_instructions"]["instructions"] for p in _stored().values())


def test_a_snapshot_that_is_not_a_dr_order_is_a_payload_error_naming_the_field() -> None:
    with pytest.raises(PayloadError, match="state: Field required"):
        effect_payload(
            EffectName.REQUEST_SHIPMENT,
            {"id": "DR1", "items": []},
            upstream_id="SHOP-1",
            dr_order_id="DR1",
        )


def test_dr_contacts_are_read_into_the_handlers_contact_model(dr_fixtures: Path) -> None:
    snapshot = _snapshot(dr_fixtures, "api/order_accepted_1.json")

    order = Order.model_validate(snapshot)

    assert isinstance(order.ship_to, Contact)
    assert isinstance(order.bill_to, Contact)


def test_the_redirect_url_is_read_from_a_redirect_next_action(dr_fixtures: Path) -> None:
    snapshot = _snapshot(dr_fixtures, "api/order_accepted_1.json")
    assert snapshot is not None
    url = "https://pay.example/3ds?session=abc"
    snapshot["payment"]["session"] = {
        **snapshot["payment"].get("session", {}),
        "nextAction": {"action": "redirect", "data": {"redirectUrl": url}},
    }

    assert redirect_url(snapshot) == url
    assert redirect_url(_snapshot(dr_fixtures, "api/order_pending_payment_2.json")) is None
    assert redirect_url(None) is None
