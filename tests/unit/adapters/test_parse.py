"""Reading payloads: one PayloadError that names each problem by its JSON path."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pytest

from orderfsm.adapters.digitalriver import parse_event, parse_order, signal_from_body
from orderfsm.adapters.digitalriver.models_order import Order
from orderfsm.adapters.digitalriver.parse import (
    MAX_PROBLEMS,
    json_path,
    parse_charge,
    parse_event_object,
    parse_fulfillment,
    parse_refund,
)
from orderfsm.errors import OrderFsmError, PayloadError

EVENT_ID = "4f1c2d0e-0000-4000-8000-000000000001"


def _event(**object_changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "id": "240000000336",
        "state": "accepted",
        "stateTransitions": {"accepted": "2024-01-02T03:04:05Z"},
        "payment": {"charges": [{"id": "ch-1", "state": "capturable"}]},
    }
    order.update(object_changes)
    return {
        "id": EVENT_ID,
        "type": "order.accepted",
        "data": {"object": order},
        "createdTime": "2024-01-02T03:04:06.123456Z",
        "liveMode": False,
    }


def _payload_error(raw: Any) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        signal_from_body(raw)
    return caught.value


def test_a_wrong_type_deep_in_the_order_is_named_by_its_json_path_with_the_event() -> None:
    raw = _event(payment={"charges": [{"id": "ch-1", "state": 5}]})

    error = _payload_error(json.dumps(raw))

    assert error.problems == (
        "data.object.payment.charges[0].state: Input should be a valid string",
    )
    assert (error.event_id, error.event_type) == (EVENT_ID, "order.accepted")
    assert EVENT_ID in str(error)
    assert "data.object.payment.charges[0].state" in str(error)


def test_every_problem_of_one_payload_is_listed_in_one_error() -> None:
    raw = _event(state=None, stateTransitions={"accepted": "yesterday"})
    del raw["data"]["object"]["id"]

    error = _payload_error(raw)

    paths = sorted(problem.split(":")[0] for problem in error.problems)
    assert paths == [
        "data.object.id",
        "data.object.state",
        "data.object.stateTransitions.accepted",
    ]
    assert any(p.startswith("data.object.id: Field required") for p in error.problems)


def test_a_missing_envelope_field_is_named_and_the_readable_id_kept() -> None:
    raw = _event()
    del raw["createdTime"]

    error = _payload_error(raw)

    assert error.problems == ("createdTime: Field required",)
    assert error.event_id == EVENT_ID


def test_a_truncated_body_still_names_the_event_when_its_id_was_read() -> None:
    body = json.dumps(_event()).encode()

    error = _payload_error(body[: len(body) // 2])

    assert error.problems[0].startswith("$: not valid JSON")
    assert (error.event_id, error.event_type) == (EVENT_ID, "order.accepted")


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"{", b"\xff\xfe\x00", b'{"id": "a",}', "{'id': 'a'}"],
)
def test_text_that_is_not_json_is_a_payload_error(body: bytes | str) -> None:
    error = _payload_error(body)

    assert error.problems[0].startswith("$: not valid JSON")


def test_json_nested_beyond_the_parsers_depth_limit_is_a_payload_error() -> None:
    body = '{"id": "e", "deep": ' + "[" * 5000 + "]" * 5000 + "}"

    error = _payload_error(body)

    assert "recursion limit" in error.problems[0]


def test_a_python_mapping_nested_beyond_pythons_recursion_limit_is_a_payload_error() -> None:
    deep: Any = "leaf"
    for _ in range(100_000):
        deep = {"more": deep}
    raw = _event(payment={"charges": [{"id": "ch-1", "state": "capturable", "x": deep}]})

    # Unknown fields are walked by the input limits too (no recursion: no crash),
    # since a snapshot this deep could not be stored as JSON anyway.
    with pytest.raises(PayloadError) as caught:
        signal_from_body(raw)

    assert caught.value.event_id == "4f1c2d0e-0000-4000-8000-000000000001"
    assert "data.object.payment.charges[0].x" in str(caught.value)
    assert "nested deeper than" in str(caught.value)


def test_nan_and_infinity_are_refused_as_not_json() -> None:
    body = json.dumps(_event()).replace('"liveMode": false', '"liveMode": false, "x": NaN')

    error = _payload_error(body)

    assert error.problems[0].startswith("$: not valid JSON")


@pytest.mark.parametrize(
    ("body", "kind"),
    [("[]", "an array"), ('"text"', "a string"), ("3", "a number"), ("null", "null")],
)
def test_a_body_that_is_not_a_json_object_says_what_it_is(body: str, kind: str) -> None:
    error = _payload_error(body)

    assert error.problems == (f"$: expected a JSON object, not {kind}",)


def test_a_huge_id_is_refused_without_echoing_it() -> None:
    huge = "x" * 1_000_000
    raw = _event()
    raw["id"] = huge

    error = _payload_error(raw)

    assert error.problems == ("id: String should have at most 255 characters",)
    assert error.event_id is None
    assert len(str(error)) < 500


def test_a_huge_string_in_an_unknown_field_is_kept() -> None:
    raw = _event(note="y" * 1_000_000)

    event = parse_event(raw)

    assert len(event.data.object["note"]) == 1_000_000


def test_a_json_object_where_an_object_is_expected_is_said_plainly() -> None:
    raw = _event(payment=[1, 2])

    error = _payload_error(raw)

    assert error.problems == ("data.object.payment: Input should be a JSON object",)


def test_problems_are_capped_and_the_rest_counted() -> None:
    charges = [{"id": i, "state": i} for i in range(40)]

    error = _payload_error(_event(payment={"charges": charges}))

    assert len(error.problems) == MAX_PROBLEMS + 1
    assert error.problems[-1] == f"... and {80 - MAX_PROBLEMS} more problems"


def test_odd_map_keys_are_quoted_in_the_path() -> None:
    error = _payload_error(_event(stateTransitions={"odd key.x": 12}))

    assert error.problems[0].startswith('data.object.stateTransitions["odd key.x"]:')


@pytest.mark.parametrize(
    ("where", "loc", "path"),
    [
        ("", (), "$"),
        ("", ("id",), "id"),
        ("data.object", ("payment", "charges", 0, "state"), "data.object.payment.charges[0].state"),
        ("", ("items", 3), "items[3]"),
        ("", ("k", "with space"), 'k["with space"]'),
    ],
)
def test_json_paths_read_like_javascript_accessors(
    where: str, loc: tuple[str | int, ...], path: str
) -> None:
    assert json_path(where, loc) == path


def test_bytes_text_and_mappings_give_the_same_event() -> None:
    raw = _event()
    text = json.dumps(raw)

    from_bytes = parse_event(text.encode())
    from_text = parse_event(text)
    from_mapping = parse_event(raw)
    from_proxy = parse_event(MappingProxyType(raw))

    assert from_bytes == from_text == from_mapping == from_proxy


def test_a_value_that_is_neither_text_nor_a_mapping_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="expected JSON text or a mapping"):
        parse_event(42)  # type: ignore[arg-type]


def test_the_envelope_does_not_judge_the_object_its_type_will_be_read_as() -> None:
    raw = _event()
    raw["data"]["object"] = {"anything": ["goes", 1]}

    event = parse_event(raw)

    assert event.data.object == {"anything": ["goes", 1]}
    with pytest.raises(PayloadError) as caught:
        parse_event_object(event, Order)
    assert "data.object.id: Field required" in caught.value.problems
    assert caught.value.event_type == "order.accepted"


def test_payload_error_belongs_to_the_orderfsm_error_tree() -> None:
    assert issubclass(PayloadError, OrderFsmError)


def test_the_cause_of_a_payload_error_is_kept_for_operators() -> None:
    error = _payload_error(b"{")

    assert isinstance(error.__cause__, ValueError)


@pytest.mark.parametrize(
    ("reader", "raw", "path"),
    [
        (parse_order, {"id": "o", "state": 1}, "state"),
        (parse_charge, {"id": "c", "state": "complete"}, "orderId"),
        (parse_fulfillment, {"id": "f"}, "orderId"),
        (parse_refund, {"id": "r"}, "state"),
    ],
)
def test_each_object_reader_names_the_path_of_its_problem(
    reader: Any, raw: Mapping[str, Any], path: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        reader(raw)

    assert caught.value.problems[0].startswith(f"{path}:")


def test_the_adapters_limits_fit_the_inboxs_columns() -> None:
    # The adapter may not import persistence (import-linter); this keeps the two in step.
    from orderfsm.adapters.digitalriver.models import (
        MAX_EVENT_TYPE_LENGTH,
        MAX_FRAUD_STATE_LENGTH,
        MAX_TOKEN_LENGTH,
    )
    from orderfsm.persistence.inbox import EVENT_ID_MAX_CHARS, EVENT_TYPE_MAX_CHARS
    from orderfsm.persistence.tables import OrderRow

    fraud_state_column = OrderRow.__table__.c.fraud_state.type.length  # type: ignore[attr-defined]
    assert MAX_TOKEN_LENGTH <= EVENT_ID_MAX_CHARS
    assert MAX_EVENT_TYPE_LENGTH <= EVENT_TYPE_MAX_CHARS
    assert fraud_state_column >= MAX_FRAUD_STATE_LENGTH


def test_a_fraud_state_longer_than_the_orders_table_keeps_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match=r"data\.object\.fraudState"):
        signal_from_body(_event(fraudState="x" * 33))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("evt-\x00", "NUL"),
        ("evt-\ud800", "lone UTF-16 surrogate"),
    ],
)
def test_an_event_built_in_python_with_an_unstorable_id_is_a_payload_error(
    value: str, reason: str
) -> None:
    event = _event()
    event["id"] = value

    with pytest.raises(PayloadError, match=f"id: .*{reason}"):
        parse_event(event)


def test_an_infinite_number_read_from_1e999999_is_a_payload_error_naming_its_path() -> None:
    raw = json.dumps(_event(big="__big__")).replace('"__big__"', "1e999999")

    with pytest.raises(PayloadError, match=r"data\.object\.big: is not a finite number"):
        signal_from_body(raw)
