"""Generated DR payloads against the Digital River adapter.

Well-formed orders and events round-trip through the models and keep what
they carried; junk of every kind (random bytes, random JSON, truncated JSON,
wrong types, missing fields, deep nesting, huge strings) raises PayloadError
and nothing else; and no customer text ever contains an error code.
"""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from orderfsm.adapters.digitalriver import (
    EVENT_TABLE,
    ErrorBody,
    Order,
    parse_event,
    signal_from_body,
)
from orderfsm.adapters.digitalriver.customer_text import (
    DEFAULT_PAYMENT_FAILED_TEXT,
    failed_charge_text,
    payment_refusal_text,
)
from orderfsm.adapters.digitalriver.models import MAX_TOKEN_LENGTH
from orderfsm.adapters.digitalriver.models_order import OrderCharge
from orderfsm.errors import PayloadError
from orderfsm.fsm.signals import NotRelevant, Signal

PROPERTY = settings(max_examples=100, deadline=None)
HEAVY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ORDER_EVENT_TYPES = sorted(t for t, m in EVENT_TABLE.items() if m.carries is Order)
STATES = [
    "pending_payment",
    "in_review",
    "accepted",
    "blocked",
    "cancelled",
    "fulfilled",
    "complete",
    "returned",
    "dispute",
]
CHARGE_STATES = ["pending", "capturable", "processing", "complete", "cancelled", "failed"]

# ------------------------------------------------------------------ strategies

ids = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=40)
times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda t: t.isoformat().replace("+00:00", "Z"))
money = st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
# Unknown fields DR might add; the "x" prefix keeps them clear of known fields.
extras = st.dictionaries(
    st.text(string.ascii_lowercase, min_size=1, max_size=10).map(lambda k: "x" + k),
    json_values,
    max_size=3,
)

charges = st.fixed_dictionaries(
    {"id": ids, "state": st.sampled_from(CHARGE_STATES)},
    optional={
        "amount": money,
        "currency": st.sampled_from(["USD", "EUR", "JPY"]),
        "createdTime": times,
        "failureCode": ids,
        "failureMessage": st.text(max_size=40),
        "captured": st.booleans(),
    },
)
items = st.fixed_dictionaries(
    {"id": ids},
    optional={
        "skuId": ids,
        "quantity": st.integers(0, 100),
        "amount": money,
        "productDetails": st.fixed_dictionaries({}, optional={"physical": st.booleans()}),
        "sku": st.fixed_dictionaries({}, optional={"physical": st.booleans()}),
    },
)
payments = st.fixed_dictionaries(
    {},
    optional={
        "charges": st.lists(charges, max_size=3),
        "sources": st.lists(
            st.fixed_dictionaries({"id": ids}, optional={"type": ids, "flow": ids}), max_size=2
        ),
        "session": st.fixed_dictionaries(
            {},
            optional={
                "nextAction": st.fixed_dictionaries(
                    {"action": st.sampled_from(["redirect", "show_payment_instructions"])},
                    optional={
                        "data": st.fixed_dictionaries(
                            {}, optional={"redirectUrl": st.just("https://pay.example/r")}
                        )
                    },
                )
            },
        ),
    },
)


@st.composite
def order_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A DR order as JSON data, with optional parts present or not and unknown extras."""
    order = draw(
        st.fixed_dictionaries(
            {"id": ids, "state": st.sampled_from(STATES)},
            optional={
                "checkoutId": ids,
                "upstreamId": ids,
                "stateTransitions": st.dictionaries(st.sampled_from(STATES), times, max_size=4),
                "fraudState": st.sampled_from(["review_opened", "passed", "blocked"]),
                "payment": payments,
                "items": st.lists(items, max_size=3),
                "currency": st.sampled_from(["USD", "EUR"]),
                "email": st.emails(),
                "totalAmount": money,
                "totalTax": money,
                "billTo": st.fixed_dictionaries({}, optional={"name": st.text(max_size=20)}),
            },
        )
    )
    order.update(draw(extras))
    return order


@st.composite
def order_events(draw: st.DrawFn) -> dict[str, Any]:
    """A webhook event of a type that carries an order."""
    event = {
        "id": draw(ids),
        "type": draw(st.sampled_from(ORDER_EVENT_TYPES)),
        "data": {"object": draw(order_dicts())},
        "createdTime": draw(times),
        "liveMode": draw(st.booleans()),
    }
    if draw(st.booleans()):
        event["webhookIds"] = draw(st.lists(ids, max_size=3))
    return event


def _json_round_trip(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _must_be_refused(raw: Any) -> PayloadError:
    try:
        result = signal_from_body(raw)
    except PayloadError as exc:
        return exc
    raise AssertionError(f"accepted junk as {result!r}")


def _refused_or_read(raw: Any) -> None:
    """Junk may, by chance, be a valid event: anything but PayloadError is a bug."""
    try:
        result = signal_from_body(raw)
    except PayloadError:
        return
    assert isinstance(result, Signal | NotRelevant)


# ------------------------------------------------------------------ round trips


@PROPERTY
@given(order_dicts())
def test_generated_orders_round_trip_through_the_model(raw: dict[str, Any]) -> None:
    order = Order.model_validate(raw)

    again = Order.model_validate(_json_round_trip(order.model_dump(mode="json", by_alias=True)))

    assert again == order
    assert (order.id, order.state) == (raw["id"], raw["state"])
    assert [c.state for c in order.payment.charges] == [
        c["state"] for c in raw.get("payment", {}).get("charges", [])
    ]
    assert set(order.state_transitions) == set(raw.get("stateTransitions", {}))
    assert all(t.tzinfo is not None for t in order.state_transitions.values())
    assert {k: v for k, v in raw.items() if k.startswith("x")} == order.model_extra


@PROPERTY
@given(order_events())
def test_generated_events_round_trip_and_map_to_their_tables_trigger(raw: dict[str, Any]) -> None:
    event = parse_event(json.dumps(raw).encode())
    again = parse_event(_json_round_trip(event.model_dump(mode="json", by_alias=True)))

    signal = signal_from_body(raw)

    assert again == event
    assert isinstance(signal, Signal)
    assert signal.trigger is EVENT_TABLE[raw["type"]].trigger
    assert (signal.event_id, signal.dr_order_id) == (raw["id"], raw["data"]["object"]["id"])
    assert signal.snapshot == raw["data"]["object"]


@PROPERTY
@given(order_events(), st.text(string.ascii_lowercase + "._", min_size=1, max_size=30))
def test_an_event_type_outside_the_table_is_not_relevant_whatever_it_carries(
    raw: dict[str, Any], event_type: str
) -> None:
    assume(event_type not in EVENT_TABLE)
    raw["type"] = event_type
    raw["data"]["object"] = {"anything": event_type}

    assert isinstance(signal_from_body(raw), NotRelevant)


# ------------------------------------------------------------------ junk


@PROPERTY
@given(st.binary(max_size=200))
def test_random_bytes_raise_payload_error_and_nothing_else(raw: bytes) -> None:
    _refused_or_read(raw)


@PROPERTY
@given(json_values)
def test_random_json_raises_payload_error_and_nothing_else(value: Any) -> None:
    _refused_or_read(json.dumps(value))
    if isinstance(value, dict):
        _refused_or_read(value)


@PROPERTY
@given(order_events(), st.data())
def test_truncated_json_raises_payload_error(raw: dict[str, Any], data: st.DataObject) -> None:
    body = json.dumps(raw).encode()
    cut = data.draw(st.integers(0, len(body) - 1))

    _must_be_refused(body[:cut])


REQUIRED_PATHS: list[tuple[str | int, ...]] = [
    ("id",),
    ("type",),
    ("createdTime",),
    ("data",),
    ("data", "object"),
    ("data", "object", "id"),
    ("data", "object", "state"),
]
wrong_values = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.lists(st.integers(), max_size=2)
)


def _set(raw: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    target: Any = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _delete(raw: dict[str, Any], path: tuple[str | int, ...]) -> None:
    target: Any = raw
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]


@PROPERTY
@given(order_events(), st.sampled_from(REQUIRED_PATHS), wrong_values)
def test_a_wrong_type_in_a_required_field_raises_payload_error_naming_it(
    raw: dict[str, Any], path: tuple[str | int, ...], value: Any
) -> None:
    _set(raw, path, value)

    error = _must_be_refused(json.dumps(raw))

    rendered = ".".join(str(p) for p in path)
    assert any(problem.startswith(rendered) for problem in error.problems), error.problems


@PROPERTY
@given(order_events(), wrong_values | st.dictionaries(ids, ids, max_size=2))
def test_a_wrong_type_in_a_charge_state_or_stamp_raises_payload_error(
    raw: dict[str, Any], value: Any
) -> None:
    order = raw["data"]["object"]
    order.setdefault("payment", {})["charges"] = [{"id": "ch-1", "state": value}]

    error = _must_be_refused(raw)

    assert "data.object.payment.charges[0].state" in str(error)
    order["payment"]["charges"] = []
    order["stateTransitions"] = {"accepted": value}
    assert "data.object.stateTransitions.accepted" in str(_must_be_refused(raw))


@PROPERTY
@given(order_events(), st.sampled_from(REQUIRED_PATHS))
def test_a_missing_required_field_raises_payload_error_naming_it(
    raw: dict[str, Any], path: tuple[str | int, ...]
) -> None:
    _delete(raw, path)

    error = _must_be_refused(raw)

    rendered = ".".join(str(p) for p in path)
    assert f"{rendered}: Field required" in error.problems


@HEAVY
@given(order_events(), st.integers(256, 20_000))
def test_nesting_deeper_than_the_parser_allows_raises_payload_error(
    raw: dict[str, Any], depth: int
) -> None:
    body = json.dumps(raw)
    deep = "[" * depth + "]" * depth

    _must_be_refused(body[:-1] + f', "xdeep": {deep}}}')


@PROPERTY
@given(order_events(), st.integers(1, 150))
def test_moderate_nesting_in_an_unknown_field_is_kept(raw: dict[str, Any], depth: int) -> None:
    raw["data"]["object"]["xdeep"] = json.loads("[" * depth + "]" * depth)

    assert isinstance(signal_from_body(json.dumps(raw)), Signal)


@HEAVY
@given(
    order_events(),
    st.sampled_from([("id",), ("type",), ("data", "object", "id"), ("data", "object", "state")]),
    st.integers(MAX_TOKEN_LENGTH + 1, 200_000),
)
def test_a_huge_id_type_or_state_raises_payload_error_with_a_short_message(
    raw: dict[str, Any], path: tuple[str, ...], size: int
) -> None:
    _set(raw, path, "z" * size)

    error = _must_be_refused(json.dumps(raw))

    assert len(str(error)) < 1_000


@HEAVY
@given(order_events(), st.integers(1_000, 500_000))
def test_a_huge_string_in_an_unknown_field_is_kept(raw: dict[str, Any], size: int) -> None:
    raw["data"]["object"]["xnote"] = "z" * size

    signal = signal_from_body(json.dumps(raw))

    assert isinstance(signal, Signal)
    assert len(signal.snapshot["xnote"]) == size


# ------------------------------------------------------------------ customer text


def _tidy(text: str) -> str:
    return " ".join(text.split()).casefold()


codes = st.text(min_size=1, max_size=30)
messages = st.one_of(st.none(), st.text(max_size=60))


@PROPERTY
@given(codes, messages, messages)
def test_a_409s_customer_text_never_contains_its_code(
    code: str, message: str | None, prefix: str | None
) -> None:
    needle = _tidy(code)
    # The fixed default is vetted text: a "code" that is a piece of it proves nothing.
    assume(needle and needle not in _tidy(DEFAULT_PAYMENT_FAILED_TEXT))
    for candidate in (message, f"{prefix or ''}{code}{message or ''}"):
        body = ErrorBody.model_validate(
            {"type": "conflict", "errors": [{"code": code, "message": candidate}]}
        )

        text = payment_refusal_text(body)

        assert needle not in _tidy(text)
        assert text == DEFAULT_PAYMENT_FAILED_TEXT or text == " ".join((candidate or "").split())


@PROPERTY
@given(st.lists(st.tuples(codes, messages, st.sampled_from(CHARGE_STATES)), min_size=1, max_size=3))
def test_a_failed_charges_customer_text_never_contains_a_failure_code(
    charges: list[tuple[str, str | None, str]],
) -> None:
    needles = [_tidy(code) for code, _, _ in charges]
    assume(all(n and n not in _tidy(DEFAULT_PAYMENT_FAILED_TEXT) for n in needles))
    models = [
        OrderCharge(id=f"ch-{i}", state=state, failure_code=code, failure_message=message)
        for i, (code, message, state) in enumerate(charges)
    ]

    text = failed_charge_text(models)

    assert all(needle not in _tidy(text) for needle in needles)
