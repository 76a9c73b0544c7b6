"""Every real payload from DR's documentation parses and means what it should.

The expected meaning of each file is written out here by hand, from
domain.md and the payload itself, not derived from the mapping table.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from orderfsm.adapters.digitalriver import (
    Order,
    map_create_order_response,
    parse_error_body,
    parse_event,
    parse_order,
    signal_from_body,
)
from orderfsm.fsm.outcomes import SignalOrigin
from orderfsm.fsm.signals import NotRelevant, Signal
from orderfsm.fsm.states import Trigger

T = Trigger
NOT_RELEVANT = None

EVENTS: dict[str, Trigger | None] = {
    "events/order.invoice.created__1.json": NOT_RELEVANT,
    "events/order.credit_memo.created__1.json": NOT_RELEVANT,
    "events/order.accepted__1.json": T.ACCEPT,
    "events/order.review_opened__1.json": T.OPEN_REVIEW,
    "events/order.pending_payment__1.json": T.AWAIT_PAYMENT,
    "events/order.cancelled__1.json": T.CANCEL,
    "events/fulfillment.created__1.json": T.RECORD_FULFILLMENT,
    "events/order.fulfilled__1.json": T.FULFIL,
    "events/order.charge.capture.complete__1.json": T.RECORD_CHARGE_CAPTURED,
    "events/order.charge.capture.failed__1.json": T.RECORD_CAPTURE_FAILED,
    "events/order.charge.cancel.complete__1.json": T.RECORD_CHARGE_CANCELLED,
    "events/order.complete__1.json": T.COMPLETE,
    "events/refund.pending_information__1.json": NOT_RELEVANT,
    "events/refund.complete__1.json": NOT_RELEVANT,
    "events/order.charge.refund.complete__1.json": T.RECORD_REFUND,
    "events/order.charge.refund.failed__1.json": NOT_RELEVANT,
    "events/subscription.created__1.json": NOT_RELEVANT,
    "events/subscription.deleted__1.json": NOT_RELEVANT,
    "events/subscription.extended__1.json": NOT_RELEVANT,
    "events/subscription.failed__1.json": NOT_RELEVANT,
    "events/subscription.payment_failed__1.json": NOT_RELEVANT,
    "events/subscription.source_invalid__1.json": NOT_RELEVANT,
    "events/subscription.lapsed__1.json": NOT_RELEVANT,
    "events/subscription.reminder__1.json": NOT_RELEVANT,
    "events/subscription.updated__1.json": NOT_RELEVANT,
    "events/order.charge.cancel.complete__2.json": T.RECORD_CHARGE_CANCELLED,
    "events/order.charge.capture.pending__1.json": NOT_RELEVANT,
    "events/order.charge.capture.pending__2.json": NOT_RELEVANT,
    "events/order.charge.reauth.failed__1.json": NOT_RELEVANT,
    "events/order.dispute__1.json": T.OPEN_DISPUTE,
    "events/order.dispute.resolved__1.json": T.RESOLVE_DISPUTE,
    "events/refund.pending__1.json": NOT_RELEVANT,
    "events/refund.pending__2.json": NOT_RELEVANT,
    "events/refund.complete__2.json": NOT_RELEVANT,
    "events/refund.complete__3.json": NOT_RELEVANT,
    "events/refund.failed__1.json": NOT_RELEVANT,
    "events/return.accepted__1.json": NOT_RELEVANT,
    "events/refund.pending__3.json": NOT_RELEVANT,
    "events/return.accepted__2.json": NOT_RELEVANT,
    "events/refund.pending__4.json": NOT_RELEVANT,
    "events/refund.pending__5.json": NOT_RELEVANT,
}
"""Each real event and the trigger it asks for (None: acknowledged as not relevant)."""

ANSWERS: dict[str, tuple[int, Trigger]] = {
    "api/order_accepted_1.json": (201, T.ACCEPT),
    "api/order_pending_payment_2.json": (201, T.AWAIT_PAYMENT),
    "api/error_bad_request_order_submit_failed.json": (400, T.NOTE_CHECKOUT_INCOMPLETE),
    "api/error_bad_request_order_create_failed.json": (400, T.NOTE_CHECKOUT_INCOMPLETE),
    "api/error_conflict_create-order-failed.json": (409, T.REJECT_PAYMENT),
    "api/order_accepted_6.json": (201, T.ACCEPT),
    "api/error_conflict_failed-request.json": (409, T.REJECT_PAYMENT),
    "api/error_not_found_not_found.json": (404, T.NOTE_CHECKOUT_CONSUMED),
    # DR documents this 409 for a fulfillment request; read as a POST /orders
    # answer, any 409 code but order-fraud-failure is a refusal of payment.
    "api/error_conflict_order_fulfilled.json": (409, T.REJECT_PAYMENT),
}
"""Each real API body, the status DR answers it with, and the trigger it asks for."""


def _read(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def _event_signal(folder: Path, name: str) -> Signal:
    mapped = signal_from_body((folder / name).read_bytes())
    assert isinstance(mapped, Signal)
    return mapped


def _answer_signal(folder: Path, name: str) -> Signal:
    status, _ = ANSWERS[name]
    return map_create_order_response(
        status, _read(folder, name), upstream_id="up-1", checkout_id=None
    )


@pytest.mark.parametrize("folder", ["events", "api"])
def test_the_index_lists_exactly_the_files_given_an_expected_meaning_here(
    dr_fixtures: Path, folder: str
) -> None:
    index = _read(dr_fixtures, f"{folder}/index.json")
    listed = {entry["file"] for entry in index}
    on_disk = {f"{folder}/{p.name}" for p in (dr_fixtures / folder).glob("*.json")}
    expected = set(EVENTS if folder == "events" else ANSWERS)

    assert listed == expected
    assert on_disk - {f"{folder}/index.json"} == expected
    assert all(entry["source"].endswith(".md") for entry in index)


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_every_real_event_maps_to_its_intended_trigger_or_to_not_relevant(
    dr_fixtures: Path, name: str
) -> None:
    raw = _read(dr_fixtures, name)

    mapped = signal_from_body((dr_fixtures / name).read_bytes())

    expected = EVENTS[name]
    if expected is NOT_RELEVANT:
        assert mapped == NotRelevant(raw["type"], raw["id"], "not relevant to the order lifecycle")
    else:
        assert isinstance(mapped, Signal)
        assert mapped.trigger is expected
        assert mapped.source is SignalOrigin.WEBHOOK
        assert (mapped.event_type, mapped.event_id) == (raw["type"], raw["id"])
        assert mapped.dr_time == datetime.fromisoformat(raw["createdTime"])
        assert mapped.snapshot == raw["data"]["object"]


@pytest.mark.parametrize("name", sorted(n for n, t in EVENTS.items() if t is not NOT_RELEVANT))
def test_a_signal_claims_order_facts_only_when_its_snapshot_is_that_order(
    dr_fixtures: Path, name: str
) -> None:
    signal = _event_signal(dr_fixtures, name)

    if signal.facts.dr_state is not None:
        assert signal.snapshot["id"] == signal.dr_order_id
        assert signal.snapshot["state"] == signal.facts.dr_state
    else:
        assert signal.facts.charges == () and signal.facts.items == ()


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_every_real_event_envelope_parses_with_its_id_type_and_utc_time(
    dr_fixtures: Path, name: str
) -> None:
    raw = _read(dr_fixtures, name)

    event = parse_event(raw)

    assert (event.id, event.type) == (raw["id"], raw["type"])
    assert event.created_time.tzinfo is not None
    assert event.created_time.utcoffset() is not None
    assert event.data.object == raw["data"]["object"]


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_every_real_post_orders_answer_maps_to_its_intended_trigger(
    dr_fixtures: Path, name: str
) -> None:
    _, expected = ANSWERS[name]

    signal = _answer_signal(dr_fixtures, name)

    assert signal.trigger is expected
    assert signal.source is SignalOrigin.CREATE_ORDER_RESPONSE
    assert signal.event_id is None
    assert signal.upstream_id == "up-1"
    assert signal.snapshot == _read(dr_fixtures, name)


@pytest.mark.parametrize("name", sorted(n for n in ANSWERS if n.startswith("api/error_")))
def test_every_real_error_body_parses_with_its_codes(dr_fixtures: Path, name: str) -> None:
    raw = _read(dr_fixtures, name)

    body = parse_error_body(raw)

    assert body.type == raw["type"]
    assert body.codes == tuple(e["code"] for e in raw["errors"])


@pytest.mark.parametrize("name", sorted(n for n in ANSWERS if n.startswith("api/order_")))
def test_every_real_order_survives_a_round_trip_through_the_model(
    dr_fixtures: Path, name: str
) -> None:
    order = parse_order(_read(dr_fixtures, name))

    again = Order.model_validate(order.model_dump(mode="json", by_alias=True))

    assert again == order
    assert again.model_extra == order.model_extra


def test_order_dispute_resolved_carries_state_accepted_with_complete_already_stamped(
    dr_fixtures: Path,
) -> None:
    signal = _event_signal(dr_fixtures, "events/order.dispute.resolved__1.json")

    assert signal.facts.dr_state == "accepted"
    assert signal.facts.state_times["complete"] == datetime(2022, 2, 15, 23, 28, 31, tzinfo=UTC)
    assert signal.facts.state_times["dispute"] == datetime(2022, 2, 17, 21, 10, 22, tzinfo=UTC)
    assert signal.dr_order_id == "1005692492420"


def test_order_dispute_carries_state_dispute_and_fraud_state_review_opened(
    dr_fixtures: Path,
) -> None:
    signal = _event_signal(dr_fixtures, "events/order.dispute__1.json")

    assert (signal.facts.dr_state, signal.facts.fraud_state) == ("dispute", "review_opened")


def test_order_complete_has_no_fraud_state(dr_fixtures: Path) -> None:
    signal = _event_signal(dr_fixtures, "events/order.complete__1.json")

    assert signal.facts.fraud_state is None
    assert signal.facts.dr_state == "complete"
    assert [(c.id, c.state) for c in signal.facts.charges] == [
        ("a77c83ae-2a55-4a29-9e84-18de3d500ae8", "complete")
    ]


@pytest.mark.parametrize(
    ("name", "state", "order_id"),
    [
        ("events/order.pending_payment__1.json", "pending_payment", "204415340336"),
        ("events/order.cancelled__1.json", "cancelled", "231722950336"),
    ],
)
def test_wire_transfer_orders_pending_or_cancelled_have_no_charges(
    dr_fixtures: Path, name: str, state: str, order_id: str
) -> None:
    signal = _event_signal(dr_fixtures, name)

    assert signal.facts.charges == ()
    assert signal.facts.dr_state == state
    assert signal.dr_order_id == order_id


def test_order_cancelled_keeps_the_cancellation_date_for_the_customer_notice(
    dr_fixtures: Path,
) -> None:
    signal = _event_signal(dr_fixtures, "events/order.cancelled__1.json")

    assert signal.facts.state_times["cancelled"] == datetime(2022, 7, 5, 15, 17, 51, tzinfo=UTC)
    assert signal.checkout_id == "f59e697e-1819-4df8-bf69-2a9aac90972b"


def test_order_review_opened_reports_in_review_and_its_authorized_charge(
    dr_fixtures: Path,
) -> None:
    signal = _event_signal(dr_fixtures, "events/order.review_opened__1.json")

    assert (signal.facts.dr_state, signal.facts.fraud_state) == ("in_review", "review_opened")
    assert [c.state for c in signal.facts.charges] == ["capturable"]


def test_real_events_are_not_expanded_so_no_item_says_whether_it_ships(
    dr_fixtures: Path,
) -> None:
    order_events = [n for n, t in EVENTS.items() if t is not None and t is not T.RECORD_FULFILLMENT]
    for name in order_events:
        signal = _event_signal(dr_fixtures, name)
        assert all(item.physical is None for item in signal.facts.items), name


@pytest.mark.parametrize(
    ("name", "order_id", "charge_id", "charge_state"),
    [
        (
            "events/order.charge.capture.complete__1.json",
            "218377480336",
            "b67136cc-0b2e-43f7-8d9a-362047aa975a",
            "capturable",
        ),
        (
            "events/order.charge.capture.failed__1.json",
            "204439700336",
            "c5da98d9-bb05-4e4d-b0c1-75dfbd1303e8",
            "capturable",
        ),
        (
            "events/order.charge.cancel.complete__1.json",
            "204440200336",
            "e31e1d24-97cc-4ad3-8d26-0f10c1a2c99b",
            "capturable",
        ),
        (
            "events/order.charge.refund.complete__1.json",
            "204289570336",
            "a9ee46e8-0598-4816-8784-e48a1c1a107e",
            "processing",
        ),
    ],
)
def test_charge_events_name_their_order_and_charge(
    dr_fixtures: Path, name: str, order_id: str, charge_id: str, charge_state: str
) -> None:
    signal = _event_signal(dr_fixtures, name)

    assert signal.dr_order_id == order_id
    assert signal.charge is not None
    assert (signal.charge.id, signal.charge.state) == (charge_id, charge_state)
    assert signal.facts.charges == ()  # one charge is not the order's list of charges


def test_fulfillment_created_names_its_order_and_checkout_but_claims_no_order_state(
    dr_fixtures: Path,
) -> None:
    signal = _event_signal(dr_fixtures, "events/fulfillment.created__1.json")

    assert signal.dr_order_id == "259855820336"
    assert signal.checkout_id == "29a9cc77-7b63-43d7-9a49-8eb44d0cc6fc"
    # Its snapshot is a fulfillment, not an order: no order facts may ride along.
    assert signal.facts.dr_state is None
    assert signal.facts.items == ()
    assert signal.snapshot["id"] == "ful_e3624f2e-1260-4cb1-bf5e-077e1e9c215e"
    assert [i["itemId"] for i in signal.snapshot["items"]] == ["189752780336", "189752790336"]


def test_an_accepted_201_is_timed_by_its_accepted_stamp_and_reads_the_sku_physical_flag(
    dr_fixtures: Path,
) -> None:
    signal = _answer_signal(dr_fixtures, "api/order_accepted_1.json")

    assert signal.event_type == "POST /orders 201"
    assert signal.dr_order_id == "1038474530082"
    assert signal.checkout_id == "978785ba-07fc-4acd-9eaa-960ab512766c"
    assert signal.dr_time == datetime(2022, 7, 11, 19, 22, 51, tzinfo=UTC)
    assert [(i.id, i.physical) for i in signal.facts.items] == [("50418820082", True)]
    assert [(c.id, c.state) for c in signal.facts.charges] == [
        ("c40a8740-fd56-41df-8ca3-0ebd12fcf9e7", "capturable")
    ]
    assert signal.facts.fraud_state == "passed"


def test_a_pending_payment_201_for_a_wire_transfer_asks_to_show_payment_instructions(
    dr_fixtures: Path,
) -> None:
    signal = _answer_signal(dr_fixtures, "api/order_pending_payment_2.json")

    assert signal.facts.next_action == "show_payment_instructions"
    assert signal.facts.charges == ()
    assert signal.dr_time == datetime(2022, 9, 16, 21, 16, 20, tzinfo=UTC)
    assert signal.checkout_id == "b9be1d80-fe76-4df0-bb43-a58e35f1e766"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("api/error_conflict_failed-request.json", "Failed to charge source."),
        (
            "api/error_conflict_create-order-failed.json",
            "The order is missing required details and could not be completed.",
        ),
    ],
)
def test_a_409_payment_refusal_tells_the_customer_drs_message_without_the_code(
    dr_fixtures: Path, name: str, message: str
) -> None:
    signal = _answer_signal(dr_fixtures, name)

    assert signal.customer_message == message
    assert signal.event_type == "POST /orders 409"
    assert signal.dr_order_id is None


def test_a_404_answer_carries_no_customer_text_and_no_dr_order(dr_fixtures: Path) -> None:
    signal = _answer_signal(dr_fixtures, "api/error_not_found_not_found.json")

    assert signal.customer_message is None
    assert signal.dr_order_id is None
    assert signal.event_type == "POST /orders 404"
