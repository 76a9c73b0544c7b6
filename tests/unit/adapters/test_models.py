"""The DR models: what they keep, what they validate, what they leave optional."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from orderfsm.adapters.digitalriver import Charge, ErrorBody, Event, Fulfillment, Order, Refund


def _order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "id": "240000000336",
        "state": "accepted",
        "stateTransitions": {"accepted": "2024-01-02T03:04:05Z"},
        "payment": {"charges": [{"id": "ch-1", "state": "capturable", "amount": 10.74}]},
        "items": [{"id": "it-1", "skuId": "sku-1", "quantity": 1, "amount": 10.0}],
    }
    order.update(changes)
    return order


def test_unknown_fields_are_kept_at_every_level() -> None:
    raw = _order(brandNewField={"nested": [1, 2]})
    raw["payment"]["charges"][0]["newChargeField"] = "x"

    order = Order.model_validate(raw)

    assert order.model_extra == {"brandNewField": {"nested": [1, 2]}}
    assert order.payment.charges[0].model_extra == {"newChargeField": "x"}
    dumped = order.model_dump(mode="json", by_alias=True)
    assert dumped["brandNewField"] == {"nested": [1, 2]}
    assert dumped["payment"]["charges"][0]["newChargeField"] == "x"


def test_fields_real_payloads_omit_are_optional() -> None:
    order = Order.model_validate({"id": "1", "state": "cancelled"})

    assert order.payment.charges == ()
    assert order.payment.session is None
    assert order.fraud_state is None
    assert order.state_transitions == {}
    assert order.items == ()
    assert order.next_action is None
    assert order.checkout_id is None


def test_camel_case_keys_are_read_into_snake_case_attributes_and_names_work_too() -> None:
    by_alias = Order.model_validate(_order(checkoutId="co-1", fraudState="passed"))
    by_name = Order.model_validate(_order(checkout_id="co-1", fraud_state="passed"))

    assert (by_alias.checkout_id, by_alias.fraud_state) == ("co-1", "passed")
    assert by_name == by_alias


def test_state_transition_stamps_are_utc_aware_datetimes() -> None:
    order = Order.model_validate(
        _order(
            stateTransitions={
                "accepted": "2024-01-02T03:04:05Z",
                "in_review": "2024-01-02T04:04:05+01:00",
                "pending_payment": "2024-01-02T03:00:00",
            }
        )
    )

    assert order.state_transitions == {
        "accepted": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "in_review": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "pending_payment": datetime(2024, 1, 2, 3, 0, tzinfo=UTC),
    }
    assert all(t.utcoffset() == timedelta(0) for t in order.state_transitions.values())


def test_a_datetime_given_as_a_number_is_refused_not_read_as_unix_time() -> None:
    with pytest.raises(ValidationError, match="ISO-8601"):
        Order.model_validate(_order(stateTransitions={"accepted": 1700000000}))


def test_datetime_objects_are_accepted_and_converted_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    order = Order(
        id="1",
        state="accepted",
        state_transitions={"accepted": datetime(2024, 1, 1, 2, tzinfo=plus_two)},
    )

    assert order.state_transitions["accepted"] == datetime(2024, 1, 1, 0, tzinfo=UTC)
    assert order.state_transitions["accepted"].tzinfo is UTC


def test_money_is_read_as_exact_decimals() -> None:
    order = Order.model_validate(_order(totalAmount=10.74, totalTax=0.74))

    assert order.total_amount == Decimal("10.74")
    assert order.total_tax == Decimal("0.74")
    assert order.payment.charges[0].amount == Decimal("10.74")


@pytest.mark.parametrize(
    ("item", "physical"),
    [
        ({"id": "i", "productDetails": {"physical": True}}, True),
        ({"id": "i", "productDetails": {"physical": False}}, False),
        ({"id": "i", "productDetails": {"name": "Widget"}}, None),
        ({"id": "i", "sku": {"id": "s", "physical": True}}, True),
        ({"id": "i", "productDetails": {"physical": False}, "sku": {"physical": True}}, False),
        ({"id": "i"}, None),
    ],
)
def test_an_item_ships_when_its_product_details_or_else_its_sku_say_physical(
    item: dict[str, Any], physical: bool | None
) -> None:
    order = Order.model_validate(_order(items=[item]))

    assert order.items[0].physical is physical


def test_next_action_is_read_from_the_payment_session() -> None:
    raw = _order(
        payment={
            "session": {
                "nextAction": {"action": "redirect", "data": {"redirectUrl": "https://pay.example"}}
            }
        }
    )

    order = Order.model_validate(raw)

    assert order.next_action == "redirect"
    assert order.payment.session is not None
    assert order.payment.session.next_action is not None
    assert order.payment.session.next_action.data is not None
    assert order.payment.session.next_action.data.redirect_url == "https://pay.example"


def test_models_are_frozen() -> None:
    order = Order.model_validate(_order())

    with pytest.raises(ValidationError):
        order.state = "cancelled"  # type: ignore[misc]


@pytest.mark.parametrize(
    "raw",
    [
        {"state": "accepted"},
        {"id": "1"},
        {"id": "", "state": "accepted"},
        {"id": 1, "state": "accepted"},
        {"id": "1", "state": None},
    ],
)
def test_an_order_needs_a_non_empty_string_id_and_state(raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Order.model_validate(raw)


def test_a_charge_on_its_own_must_name_its_order() -> None:
    with pytest.raises(ValidationError, match="orderId"):
        Charge.model_validate({"id": "ch-1", "state": "capturable"})

    charge = Charge.model_validate({"id": "ch-1", "state": "complete", "orderId": "o-1"})
    assert charge.order_id == "o-1"


def test_a_fulfillment_names_its_order_and_may_carry_the_order_details() -> None:
    fulfillment = Fulfillment.model_validate(
        {
            "id": "ful_1",
            "orderId": "o-1",
            "items": [{"itemId": "it-1", "quantity": 1, "cancelQuantity": 0}],
            "orderDetails": {"id": "o-1", "state": "accepted"},
        }
    )

    assert fulfillment.order_id == "o-1"
    assert fulfillment.items[0].item_id == "it-1"
    assert fulfillment.order_details is not None
    assert fulfillment.order_details.state == "accepted"


def test_a_refund_reads_its_state_and_amounts() -> None:
    refund = Refund.model_validate(
        {"id": "re_1", "state": "pending", "orderId": "o-1", "amount": 13.51, "items": []}
    )

    assert (refund.state, refund.order_id, refund.amount) == ("pending", "o-1", Decimal("13.51"))


def test_an_error_body_lists_codes_and_tolerates_a_missing_message() -> None:
    body = ErrorBody.model_validate(
        {"type": "conflict", "errors": [{"code": "failed-request"}, {"code": "x", "message": "m"}]}
    )

    assert body.codes == ("failed-request", "x")
    assert body.errors[0].message is None


def test_an_event_without_webhook_ids_or_version_still_parses() -> None:
    event = Event.model_validate(
        {
            "id": "e-1",
            "type": "order.invoice.created",
            "data": {"object": {}},
            "createdTime": "2021-04-28T02:04:13.591115Z",
            "versionIds": [],
        }
    )

    assert event.webhook_ids == ()
    assert event.digitalriver_version is None
    assert event.model_extra == {"versionIds": []}
    assert event.created_time == datetime(2021, 4, 28, 2, 4, 13, 591115, tzinfo=UTC)
