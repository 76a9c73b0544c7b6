"""The mapping table: every DR signal to one trigger, or to "not relevant"."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from orderfsm.adapters.digitalriver import (
    EVENT_TABLE,
    map_create_order_response,
    parse_event,
    signal_from_body,
    snapshot_order,
)
from orderfsm.adapters.digitalriver.customer_text import DEFAULT_PAYMENT_FAILED_TEXT
from orderfsm.adapters.digitalriver.mapping import (
    CONFLICT_CODES,
    CONFLICT_DEFAULT,
    CREATED_ORDER_STATES,
    ERROR_STATUSES,
    map_event,
)
from orderfsm.errors import PayloadError
from orderfsm.fsm.outcomes import SignalOrigin
from orderfsm.fsm.signals import ChargeFact, ItemFact, NotRelevant, Signal
from orderfsm.fsm.states import PLATFORM_TRIGGERS, Trigger

T = Trigger

DOMAIN_EVENT_TYPES = {
    # domain.md section 3: early lifecycle
    "order.pending_payment": T.AWAIT_PAYMENT,
    "order.review_opened": T.OPEN_REVIEW,
    "order.accepted": T.ACCEPT,
    "order.blocked": T.BLOCK,
    "order.cancelled": T.CANCEL,
    "order.charge.failed": T.FAIL_CHARGE,
    "checkout_session.order.created": T.LINK_DR_ORDER,
    # fulfilment side
    "fulfillment.created": T.RECORD_FULFILLMENT,
    "order.fulfilled": T.FULFIL,
    "order.charge.capture.complete": T.RECORD_CHARGE_CAPTURED,
    "order.charge.capture.failed": T.RECORD_CAPTURE_FAILED,
    "order.charge.cancel.complete": T.RECORD_CHARGE_CANCELLED,
    "order.complete": T.COMPLETE,
    "order.refunded": T.RETURN,
    "order.charge.refund.complete": T.RECORD_REFUND,
    "order.dispute": T.OPEN_DISPUTE,
    "order.dispute.resolved": T.RESOLVE_DISPUTE,
}

CREATED = "2024-03-01T10:00:00.123456Z"


def _order(state: str = "accepted", **changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "id": "250000000336",
        "checkoutId": "co-1",
        "upstreamId": "up-1",
        "state": state,
        "stateTransitions": {state: "2024-03-01T09:59:58Z"},
        "fraudState": "passed",
        "currency": "USD",
        "email": "shopper@example.com",
        "payment": {
            "charges": [{"id": "ch-1", "state": "capturable", "amount": 27.01}],
            "sources": [{"id": "src-1", "type": "creditCard"}],
        },
        "items": [{"id": "it-1", "skuId": "sku-1", "quantity": 1, "amount": 25.0}],
    }
    order.update(changes)
    return order


def _event(event_type: str, obj: dict[str, Any], event_id: str = "evt-1") -> dict[str, Any]:
    return {
        "id": event_id,
        "type": event_type,
        "data": {"object": obj},
        "createdTime": CREATED,
        "liveMode": False,
        "digitalriverVersion": "2021-12-13",
    }


def _signal(raw: dict[str, Any]) -> Signal:
    mapped = signal_from_body(raw)
    assert isinstance(mapped, Signal)
    return mapped


# ------------------------------------------------------------------ the table


def test_the_table_covers_exactly_the_event_types_of_the_domain() -> None:
    assert {t: m.trigger for t, m in EVENT_TABLE.items()} == DOMAIN_EVENT_TYPES


def test_every_trigger_comes_from_an_event_a_post_orders_answer_or_the_platform() -> None:
    from_events = {m.trigger for m in EVENT_TABLE.values()}
    from_answers = (
        set(CREATED_ORDER_STATES.values())
        | set(CONFLICT_CODES.values())
        | {CONFLICT_DEFAULT}
        | set(ERROR_STATUSES.values())
    )

    assert from_events | from_answers == set(Trigger) - PLATFORM_TRIGGERS
    assert not (from_events | from_answers) & PLATFORM_TRIGGERS


def test_the_tables_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        EVENT_TABLE["order.accepted"] = EVENT_TABLE["order.blocked"]  # type: ignore[index]


@pytest.mark.parametrize(
    "event_type",
    [
        "subscription.created",
        "invoice.created",
        "order.invoice.created",
        "order.credit_memo.created",
        "return.accepted",
        "refund.complete",
        "order.charge.capture.pending",
        "order.charge.reauth.failed",
        "order.charge.refund.failed",
        "something.dr.adds.next.year",
    ],
)
def test_other_event_types_are_not_relevant_whatever_their_object(event_type: str) -> None:
    raw = _event(event_type, {"whatever": [1, {"shape": None}]}, event_id="evt-9")

    assert signal_from_body(raw) == NotRelevant(
        event_type, "evt-9", "not relevant to the order lifecycle"
    )


# ------------------------------------------------------------------ order events


@pytest.mark.parametrize(
    ("event_type", "state", "trigger"),
    [
        ("order.blocked", "blocked", T.BLOCK),
        ("order.refunded", "returned", T.RETURN),
        ("order.accepted", "accepted", T.ACCEPT),
    ],
)
def test_an_order_event_becomes_a_webhook_signal_with_the_orders_facts(
    event_type: str, state: str, trigger: Trigger
) -> None:
    obj = _order(state, fraudState="blocked" if state == "blocked" else "passed")

    signal = _signal(_event(event_type, obj))

    assert signal.trigger is trigger
    assert signal.source is SignalOrigin.WEBHOOK
    assert (signal.event_type, signal.event_id) == (event_type, "evt-1")
    assert signal.dr_time == datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert (signal.dr_order_id, signal.checkout_id, signal.upstream_id) == (
        "250000000336",
        "co-1",
        "up-1",
    )
    assert signal.facts.dr_state == state
    assert signal.facts.charges == (ChargeFact("ch-1", "capturable"),)
    assert signal.facts.items == (ItemFact("it-1", None),)
    assert signal.facts.state_times == {state: datetime(2024, 3, 1, 9, 59, 58, tzinfo=UTC)}
    assert signal.snapshot == obj
    assert signal.customer_message is None


def test_a_blocked_order_event_keeps_fraud_state_blocked() -> None:
    signal = _signal(_event("order.blocked", _order("blocked", fraudState="blocked")))

    assert signal.facts.fraud_state == "blocked"


def test_an_expanded_event_tells_which_items_ship() -> None:
    items = [
        {"id": "it-1", "productDetails": {"physical": True}},
        {"id": "it-2", "productDetails": {"physical": False}},
    ]

    signal = _signal(_event("order.accepted", _order(items=items)))

    assert signal.facts.items == (ItemFact("it-1", True), ItemFact("it-2", False))


def test_a_redirect_next_action_is_in_the_facts() -> None:
    payment = {
        "sources": [{"id": "src-1", "type": "payPal", "flow": "redirect"}],
        "session": {
            "nextAction": {"action": "redirect", "data": {"redirectUrl": "https://pay.example"}}
        },
    }

    signal = _signal(_event("order.pending_payment", _order("pending_payment", payment=payment)))

    assert signal.facts.next_action == "redirect"
    assert signal.facts.charges == ()


def test_a_failed_charge_event_names_the_failed_charge_and_tells_its_message() -> None:
    payment = {
        "charges": [
            {
                "id": "ch-9",
                "state": "failed",
                "failureCode": "card_declined",
                "failureMessage": "Your card was declined.",
            }
        ]
    }

    signal = _signal(_event("order.charge.failed", _order("pending_payment", payment=payment)))

    assert signal.trigger is T.FAIL_CHARGE
    assert signal.charge == ChargeFact("ch-9", "failed")
    assert signal.customer_message == "Your card was declined."
    assert signal.snapshot["payment"]["charges"][0]["failureCode"] == "card_declined"


def test_a_failed_charge_without_a_message_tells_the_neutral_default_not_the_code() -> None:
    payment = {"charges": [{"id": "ch-9", "state": "failed", "failureCode": "card_declined"}]}

    signal = _signal(_event("order.charge.failed", _order("pending_payment", payment=payment)))

    assert signal.customer_message == DEFAULT_PAYMENT_FAILED_TEXT
    assert "card_declined" not in (signal.customer_message or "")


def test_a_failed_charge_event_with_no_failed_charge_listed_names_no_charge() -> None:
    signal = _signal(_event("order.charge.failed", _order("pending_payment")))

    assert signal.charge is None
    assert signal.customer_message == DEFAULT_PAYMENT_FAILED_TEXT


# Trimmed from DR's documented example (order-management/events-and-webhooks-1/
# events-1/event-types.md): a Prebuilt Checkout order, with items carrying `sku`.
CHECKOUT_SESSION_ORDER_CREATED: dict[str, Any] = {
    "id": "dacc88d7-3f88-469b-9764-35a15681e6c9",
    "type": "checkout_session.order.created",
    "data": {
        "object": {
            "id": "245558830336",
            "checkoutId": "b02686da-decf-4122-b922-d7dc39ed8a08",
            "checkoutSessionId": "158214a9-0a91-41bf-86eb-0aa9b7c713cc",
            "createdTime": "2022-11-08T20:39:17Z",
            "currency": "KRW",
            "totalAmount": 139000.0,
            "items": [
                {
                    "id": "174292610336",
                    "sku": {"id": "sku-phy-thor-gb", "physical": True},
                    "amount": 132000.0,
                    "quantity": 1,
                }
            ],
            "payment": {
                "charges": [{"id": "241c56c8-82bc-434f-a761-7bfba9c515de", "state": "capturable"}],
                "session": {"id": "478274eb-2e61-4016-8665-fc9171c7e470", "state": "complete"},
            },
            "state": "accepted",
            "stateTransitions": {"accepted": "2022-11-08T20:39:20Z"},
            "fraudState": "passed",
            "pricingFormat": {"symbol": "₩", "decimalPlaces": 0},
            "liveMode": False,
        }
    },
    "liveMode": False,
    "createdTime": "2022-11-08T20:39:21.54565Z",
    "digitalriverVersion": "2021-03-23",
}


def test_a_low_code_checkout_order_links_the_dr_order_to_its_checkout() -> None:
    signal = _signal(copy.deepcopy(CHECKOUT_SESSION_ORDER_CREATED))

    assert signal.trigger is T.LINK_DR_ORDER
    assert signal.dr_order_id == "245558830336"
    assert signal.checkout_id == "b02686da-decf-4122-b922-d7dc39ed8a08"
    assert signal.snapshot["checkoutSessionId"] == "158214a9-0a91-41bf-86eb-0aa9b7c713cc"
    assert signal.facts.dr_state == "accepted"
    assert signal.facts.items == (ItemFact("174292610336", True),)
    assert signal.dr_time == datetime(2022, 11, 8, 20, 39, 21, 545650, tzinfo=UTC)


def test_an_order_event_whose_object_is_not_an_order_is_a_payload_error() -> None:
    raw = _event("order.accepted", {"orderId": "o-1", "amount": 3})

    with pytest.raises(PayloadError) as caught:
        signal_from_body(raw)

    assert "data.object.id: Field required" in caught.value.problems
    assert "data.object.state: Field required" in caught.value.problems
    assert (caught.value.event_id, caught.value.event_type) == ("evt-1", "order.accepted")


# ------------------------------------------------------------------ charge and fulfillment events


def test_a_charge_event_without_its_order_id_is_a_payload_error() -> None:
    raw = _event("order.charge.capture.complete", {"id": "ch-1", "state": "complete"})

    with pytest.raises(PayloadError) as caught:
        signal_from_body(raw)

    assert caught.value.problems == ("data.object.orderId: Field required",)


def test_a_charge_event_carries_the_charge_and_no_order_facts() -> None:
    raw = _event(
        "order.charge.cancel.complete",
        {"id": "ch-1", "state": "cancelled", "orderId": "o-7", "amount": 5},
    )

    signal = _signal(raw)

    assert signal.trigger is T.RECORD_CHARGE_CANCELLED
    assert signal.dr_order_id == "o-7"
    assert signal.charge == ChargeFact("ch-1", "cancelled")
    assert signal.facts.dr_state is None
    assert signal.facts.charges == ()
    assert signal.checkout_id is None


def test_a_fulfillment_without_order_details_names_only_its_order() -> None:
    raw = _event("fulfillment.created", {"id": "ful_1", "orderId": "o-8", "items": []})

    signal = _signal(raw)

    assert signal.dr_order_id == "o-8"
    assert signal.facts.dr_state is None
    assert signal.checkout_id is None


def test_map_event_takes_an_already_parsed_event() -> None:
    event = parse_event(_event("order.complete", _order("complete", fraudState=None)))

    mapped = map_event(event)

    assert isinstance(mapped, Signal)
    assert mapped.trigger is T.COMPLETE
    assert mapped.facts.fraud_state is None


# ------------------------------------------------------------------ POST /orders answers


def _answer(status: int, body: dict[str, Any], checkout_id: str | None = None) -> Signal:
    return map_create_order_response(status, body, upstream_id="up-42", checkout_id=checkout_id)


@pytest.mark.parametrize(
    ("state", "trigger"),
    [
        ("pending_payment", T.AWAIT_PAYMENT),
        ("in_review", T.OPEN_REVIEW),
        ("accepted", T.ACCEPT),
    ],
)
def test_a_201_maps_by_the_state_it_reports(state: str, trigger: Trigger) -> None:
    signal = _answer(201, _order(state), checkout_id="co-1")

    assert signal.trigger is trigger
    assert signal.source is SignalOrigin.CREATE_ORDER_RESPONSE
    assert signal.event_type == "POST /orders 201"
    assert signal.event_id is None
    assert signal.dr_time == datetime(2024, 3, 1, 9, 59, 58, tzinfo=UTC)
    assert (signal.dr_order_id, signal.checkout_id, signal.upstream_id) == (
        "250000000336",
        "co-1",
        "up-42",
    )


@pytest.mark.parametrize("state", ["blocked", "cancelled", "fulfilled", "complete", "dispute"])
def test_a_201_in_a_state_no_order_is_created_in_is_a_payload_error_naming_it(state: str) -> None:
    with pytest.raises(PayloadError) as caught:
        _answer(201, _order(state))

    assert repr(state) in caught.value.problems[0]
    assert caught.value.event_type == "POST /orders 201"


def test_a_201_without_a_stamp_for_its_state_has_no_dr_time() -> None:
    signal = _answer(201, _order("in_review", stateTransitions={}))

    assert signal.dr_time is None


def test_a_201_takes_the_submitted_checkout_when_the_body_does_not_name_one() -> None:
    body = _order()
    del body["checkoutId"]

    assert _answer(201, body, checkout_id="co-sent").checkout_id == "co-sent"


def test_a_201_for_another_checkout_than_the_one_submitted_is_refused() -> None:
    with pytest.raises(PayloadError, match="checkoutId"):
        _answer(201, _order(), checkout_id="co-other")


def test_a_201_that_is_not_an_order_is_a_payload_error_naming_the_answer() -> None:
    with pytest.raises(PayloadError) as caught:
        _answer(201, {"id": "o", "state": "accepted", "payment": {"charges": [{"id": "c"}]}})

    assert caught.value.problems == ("payment.charges[0].state: Field required",)
    assert caught.value.event_type == "POST /orders 201"


def test_a_409_fraud_failure_blocks_the_order_without_customer_text() -> None:
    body = {
        "type": "conflict",
        "errors": [{"code": "order-fraud-failure", "message": "The order failed fraud review."}],
    }

    signal = _answer(409, body, checkout_id="co-1")

    assert signal.trigger is T.BLOCK
    assert signal.facts.fraud_state == "blocked"
    assert signal.customer_message is None
    assert signal.checkout_id == "co-1"
    assert signal.snapshot == body


@pytest.mark.parametrize(
    "code", ["failed-request", "create-order-failed", "payment_declined", "new-code"]
)
def test_any_other_409_code_is_a_payment_refusal_with_drs_message(code: str) -> None:
    body = {"type": "conflict", "errors": [{"code": code, "message": "Failed to charge source."}]}

    signal = _answer(409, body)

    assert signal.trigger is T.REJECT_PAYMENT
    assert signal.customer_message == "Failed to charge source."
    assert signal.event_type == "POST /orders 409"
    assert signal.snapshot["errors"][0]["code"] == code  # the record keeps the code


def test_a_409_whose_message_repeats_its_code_tells_the_neutral_default() -> None:
    body = {"type": "conflict", "errors": [{"code": "failed-request", "message": "failed-request"}]}

    assert _answer(409, body).customer_message == DEFAULT_PAYMENT_FAILED_TEXT


def test_a_409_body_that_is_not_an_error_body_is_a_payload_error() -> None:
    with pytest.raises(PayloadError) as caught:
        _answer(409, {"type": "conflict", "errors": [{"message": "no code"}]})

    assert caught.value.problems == ("errors[0].code: Field required",)
    assert caught.value.event_type == "POST /orders 409"


@pytest.mark.parametrize(
    ("status", "trigger"),
    [(404, T.NOTE_CHECKOUT_CONSUMED), (400, T.NOTE_CHECKOUT_INCOMPLETE)],
)
def test_404_and_400_note_the_checkout_without_an_order_or_customer_text(
    status: int, trigger: Trigger
) -> None:
    body = {"type": "x", "errors": [{"code": "c", "message": "m"}]}

    signal = _answer(status, body, checkout_id="co-1")

    assert signal.trigger is trigger
    assert (signal.dr_order_id, signal.customer_message, signal.dr_time) == (None, None, None)
    assert (signal.checkout_id, signal.upstream_id) == ("co-1", "up-42")


@pytest.mark.parametrize("status", [200, 202, 401, 403, 422, 500, 502, 503])
def test_any_other_status_is_a_payload_error(status: int) -> None:
    with pytest.raises(PayloadError) as caught:
        _answer(status, {"type": "server_error", "errors": []})

    assert str(status) in caught.value.problems[0]
    assert caught.value.event_type == f"POST /orders {status}"


# ------------------------------------------------------------- the snapshot's reading


def test_a_signals_snapshot_carries_the_order_the_mapping_read() -> None:
    """Effects are built from the mapping's own (remembered) reading; a copy is read again."""
    for signal in (_signal(_event("order.accepted", _order())), _answer(201, _order())):
        assert signal.snapshot == _order()
        read = snapshot_order(signal.snapshot)
        assert read is not None and read.id == "250000000336"
        assert snapshot_order(signal.snapshot) is read
        copied = snapshot_order(dict(signal.snapshot))
        assert copied is not read
        assert copied == read


def test_a_copied_snapshot_that_is_not_an_order_is_still_refused() -> None:
    signal = _signal(_event("order.accepted", _order()))
    broken = {**signal.snapshot, "state": 7}
    with pytest.raises(PayloadError, match="state"):
        snapshot_order(broken)


def test_a_snapshot_read_again_after_the_memory_forgot_it_gives_the_same_order() -> None:
    """A journal prepares 500 lines before applying any: readings are forgotten, not lost."""
    first = _signal(_event("order.accepted", _order()))
    for n in range(40):  # more than the memory keeps
        _signal(_event("order.accepted", _order(id=f"other-{n}"), event_id=f"evt-{n}"))
    again = snapshot_order(first.snapshot)
    assert again is not None
    assert again == snapshot_order(dict(first.snapshot))
    assert again.id == "250000000336"


def test_a_checked_snapshot_breaking_a_limit_is_refused_as_a_mapping_is() -> None:
    """Checked snapshots skip only the walk's cost, never its verdict."""
    snapshot = _signal(_event("order.accepted", _order())).snapshot
    broken = type(snapshot)({**snapshot, "note": "a\x00b"})
    with pytest.raises(PayloadError) as as_checked:
        snapshot_order(broken)
    with pytest.raises(PayloadError) as as_mapping:
        snapshot_order(dict(broken))
    assert "NUL" in str(as_checked.value)
    assert str(as_checked.value) == str(as_mapping.value)
