"""Generated DR payloads against the Digital River adapter.

Valid payloads come from the public strategies of ``orderfsm.testing``, the
ones backends test their own code with: orders in every DR state round-trip
through the models and keep what they carried; events of every type DR
documents round-trip, and map to the trigger EVENT_TABLE names or are not
relevant; junk of every kind (random bytes, random JSON, truncated JSON,
wrong types, missing fields, deep nesting, huge strings) raises PayloadError
and nothing else; and no customer text ever contains an error code, whether
it comes from a 409 answer or an ``order.charge.failed`` event.
"""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from orderfsm.adapters.digitalriver import (
    EVENT_TABLE,
    Charge,
    Fulfillment,
    Order,
    map_create_order_response,
    parse_error_body,
    parse_event,
    parse_order,
    signal_from_body,
)
from orderfsm.adapters.digitalriver.customer_text import (
    DEFAULT_PAYMENT_FAILED_TEXT,
    failed_charge_text,
    payment_refusal_text,
)
from orderfsm.adapters.digitalriver.mapping import CONFLICT_CODES
from orderfsm.adapters.digitalriver.models import MAX_TOKEN_LENGTH
from orderfsm.errors import PayloadError
from orderfsm.fsm.signals import NotRelevant, Signal
from orderfsm.fsm.states import Trigger
from orderfsm.testing.strategies import (
    DR_EVENT_TYPES,
    CreateOrderAnswer,
    any_dr_events,
    create_order_responses,
    dr_events,
    dr_orders,
)

PROPERTY = settings(max_examples=100, deadline=None)
HEAVY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ------------------------------------------------------------------ DR payloads (orderfsm.testing)

LIFECYCLE_TYPES = [t for t in EVENT_TABLE if t in DR_EVENT_TYPES]
ORDER_EVENT_TYPES = [t for t in LIFECYCLE_TYPES if EVENT_TABLE[t].carries is Order]

every_event = any_dr_events()
lifecycle_events = any_dr_events(LIFECYCLE_TYPES)
order_events = any_dr_events(ORDER_EVENT_TYPES)

REQUIRED_IN_ENVELOPE: list[tuple[str, ...]] = [
    ("id",),
    ("type",),
    ("createdTime",),
    ("data",),
    ("data", "object"),
]
REQUIRED_IN_OBJECT: dict[type[Any], tuple[str, ...]] = {
    Order: ("id", "state"),
    Charge: ("id", "state", "orderId"),
    Fulfillment: ("id", "orderId"),
}
"""What the engine needs of each object an event carries (stated here, not read off the models)."""


def _required_paths(raw: dict[str, Any]) -> list[tuple[str, ...]]:
    """The envelope's required fields, and those of the object its type carries, if acted on."""
    meaning = EVENT_TABLE.get(raw["type"])
    carried = REQUIRED_IN_OBJECT[meaning.carries] if meaning is not None else ()
    return REQUIRED_IN_ENVELOPE + [("data", "object", name) for name in carried]


@st.composite
def events_and_required_paths(draw: st.DrawFn) -> tuple[dict[str, Any], tuple[str, ...]]:
    """An event of any type and one field it cannot go without."""
    raw = draw(every_event)
    return raw, draw(st.sampled_from(_required_paths(raw)))


# ------------------------------------------------------------------ junk (local: not DR-shaped)

# Arbitrary JSON, wrong values and adversarial text are not DR data, so they
# stay here rather than in orderfsm.testing; they are grafted onto DR payloads.
# Within the input limits (orderfsm.adapters.digitalriver.limits): no NUL and no
# lone surrogate anywhere. Naming exclude_characters makes st.characters include
# category Cs (surrogates), so it is excluded by name. tests/e2e/test_http_boundary.py
# and tests/property/test_input_limits.py draw what breaks the limits.
_STORABLE = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(_STORABLE, max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(_STORABLE, max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
# Unknown fields DR might add; the "x" prefix keeps them clear of known fields.
extras = st.dictionaries(
    st.text(string.ascii_lowercase, min_size=1, max_size=10).map(lambda k: "x" + k),
    json_values,
    max_size=3,
)
wrong_values = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.lists(st.integers(), max_size=2)
)
codes = st.text(_STORABLE, min_size=1, max_size=30)
messages = st.one_of(st.none(), st.text(_STORABLE, max_size=60))


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


def _set(raw: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    target: Any = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _delete(raw: dict[str, Any], path: tuple[str, ...]) -> None:
    target: Any = raw
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]


def _tidy(text: str) -> str:
    return " ".join(text.split()).casefold()


# ------------------------------------------------------------------ round trips


def test_every_event_type_the_table_acts_on_is_drawn_by_the_harness() -> None:
    assert set(EVENT_TABLE) <= set(DR_EVENT_TYPES)
    assert set(DR_EVENT_TYPES) - set(EVENT_TABLE), "the harness also draws types not acted on"


@PROPERTY
@given(dr_orders(), st.data())
def test_generated_orders_round_trip_through_the_model(
    raw: dict[str, Any], data: st.DataObject
) -> None:
    # DR leaves out optional fields (payment, items, fraudState...): any may be missing.
    optional = sorted(set(raw) - {"id", "state"})
    for key in data.draw(st.sets(st.sampled_from(optional)), label="left out"):
        del raw[key]
    raw.update(data.draw(extras, label="unknown fields"))

    order = Order.model_validate(raw)
    again = Order.model_validate(_json_round_trip(order.model_dump(mode="json", by_alias=True)))

    assert again == order
    assert parse_order(json.dumps(raw)) == order
    assert (order.id, order.state) == (raw["id"], raw["state"])
    assert [c.state for c in order.payment.charges] == [
        c["state"] for c in raw.get("payment", {}).get("charges", [])
    ]
    assert [item.physical for item in order.items] == [
        item["productDetails"].get("physical") for item in raw.get("items", [])
    ]
    assert set(order.state_transitions) == set(raw.get("stateTransitions", {}))
    assert all(t.tzinfo is not None for t in order.state_transitions.values())
    assert {k: v for k, v in raw.items() if k.startswith("x")} == order.model_extra


@PROPERTY
@given(every_event)
def test_generated_events_round_trip_and_map_to_their_tables_trigger(raw: dict[str, Any]) -> None:
    event = parse_event(json.dumps(raw).encode())
    again = parse_event(_json_round_trip(event.model_dump(mode="json", by_alias=True)))

    mapped = signal_from_body(raw)

    assert again == event
    meaning = EVENT_TABLE.get(raw["type"])
    if meaning is None:
        assert isinstance(mapped, NotRelevant)
        assert (mapped.event_type, mapped.event_id) == (raw["type"], raw["id"])
        return
    carried = raw["data"]["object"]
    assert isinstance(mapped, Signal)
    assert mapped.trigger is meaning.trigger
    dr_order_id = carried["id"] if meaning.carries is Order else carried["orderId"]
    assert (mapped.event_id, mapped.dr_order_id) == (raw["id"], dr_order_id)
    assert mapped.snapshot == carried
    if meaning.carries is Order:
        assert mapped.facts.dr_state == carried["state"]


@PROPERTY
@given(every_event, st.text(string.ascii_lowercase + "._", min_size=1, max_size=30))
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
@given(every_event, st.data())
def test_truncated_json_raises_payload_error(raw: dict[str, Any], data: st.DataObject) -> None:
    body = json.dumps(raw).encode()
    cut = data.draw(st.integers(0, len(body) - 1))

    _must_be_refused(body[:cut])


@PROPERTY
@given(events_and_required_paths(), wrong_values)
def test_a_wrong_type_in_a_required_field_raises_payload_error_naming_it(
    drawn: tuple[dict[str, Any], tuple[str, ...]], value: Any
) -> None:
    raw, path = drawn
    _set(raw, path, value)

    error = _must_be_refused(json.dumps(raw))

    rendered = ".".join(path)
    assert any(problem.startswith(rendered) for problem in error.problems), error.problems


@PROPERTY
@given(order_events, wrong_values | st.dictionaries(codes, codes, max_size=2), st.data())
def test_a_wrong_type_in_a_charge_state_or_stamp_raises_payload_error(
    raw: dict[str, Any], value: Any, data: st.DataObject
) -> None:
    order = raw["data"]["object"]
    charges = order.setdefault("payment", {}).setdefault("charges", [])
    if not charges:  # a wire transfer before the funds arrive has none yet
        charges.append({"id": "ch-1"})
    charges[0]["state"] = value

    error = _must_be_refused(raw)

    assert "data.object.payment.charges[0].state" in str(error)
    del order["payment"]
    stamped = data.draw(st.sampled_from(sorted(order["stateTransitions"])), label="stamp")
    order["stateTransitions"][stamped] = value
    assert f"data.object.stateTransitions.{stamped}" in str(_must_be_refused(raw))


@PROPERTY
@given(events_and_required_paths())
def test_a_missing_required_field_raises_payload_error_naming_it(
    drawn: tuple[dict[str, Any], tuple[str, ...]],
) -> None:
    raw, path = drawn
    _delete(raw, path)

    error = _must_be_refused(raw)

    rendered = ".".join(path)
    assert f"{rendered}: Field required" in error.problems


@HEAVY
@given(every_event, st.integers(256, 20_000))
def test_nesting_deeper_than_the_parser_allows_raises_payload_error(
    raw: dict[str, Any], depth: int
) -> None:
    body = json.dumps(raw)
    deep = "[" * depth + "]" * depth

    _must_be_refused(body[:-1] + f', "xdeep": {deep}}}')


@PROPERTY
@given(lifecycle_events, st.integers(1, 150))
def test_moderate_nesting_in_an_unknown_field_is_kept(raw: dict[str, Any], depth: int) -> None:
    raw["data"]["object"]["xdeep"] = json.loads("[" * depth + "]" * depth)

    signal = signal_from_body(json.dumps(raw))

    assert isinstance(signal, Signal)
    assert signal.snapshot["xdeep"] == raw["data"]["object"]["xdeep"]


@st.composite
def events_and_token_paths(draw: st.DrawFn) -> tuple[dict[str, Any], tuple[str, ...]]:
    """An event the lifecycle acts on, and one of its ids, its type or its object's state."""
    raw = draw(lifecycle_events)
    tokens = [p for p in _required_paths(raw) if p[-1] in ("id", "type", "state", "orderId")]
    return raw, draw(st.sampled_from(tokens))


@HEAVY
@given(events_and_token_paths(), st.integers(MAX_TOKEN_LENGTH + 1, 200_000))
def test_a_huge_id_type_or_state_raises_payload_error_with_a_short_message(
    drawn: tuple[dict[str, Any], tuple[str, ...]], size: int
) -> None:
    raw, path = drawn
    _set(raw, path, "z" * size)

    error = _must_be_refused(json.dumps(raw))

    assert len(str(error)) < 1_000


@HEAVY
@given(lifecycle_events, st.integers(1_000, 500_000))
def test_a_huge_string_in_an_unknown_field_is_kept(raw: dict[str, Any], size: int) -> None:
    raw["data"]["object"]["xnote"] = "z" * size

    signal = signal_from_body(json.dumps(raw))

    assert isinstance(signal, Signal)
    assert len(signal.snapshot["xnote"]) == size


# ------------------------------------------------------------------ customer text

# Every 409 DR answers; its code is replaced below, so a fraud refusal becomes a payment one.
conflicts = create_order_responses().filter(lambda answer: answer.status == 409)


@PROPERTY
@given(conflicts, codes, messages, messages)
def test_a_409s_customer_text_never_contains_its_code(
    answer: CreateOrderAnswer, code: str, message: str | None, prefix: str | None
) -> None:
    needle = _tidy(code)
    # The fixed default is vetted text: a "code" that is a piece of it proves nothing.
    assume(needle and needle not in _tidy(DEFAULT_PAYMENT_FAILED_TEXT))
    assume(code not in CONFLICT_CODES)
    for candidate in (message, f"{prefix or ''}{code}{message or ''}"):
        body = json.loads(json.dumps(answer.body))
        body["errors"][0].update(code=code, message=candidate)

        signal = map_create_order_response(409, body, upstream_id="UP-1", checkout_id=None)

        text = signal.customer_message
        assert signal.trigger is Trigger.REJECT_PAYMENT
        assert text is not None and needle not in _tidy(text)
        assert text == payment_refusal_text(parse_error_body(body))
        assert text == DEFAULT_PAYMENT_FAILED_TEXT or text == " ".join((candidate or "").split())


@PROPERTY
@given(
    dr_events("order.charge.failed"), st.lists(st.tuples(codes, messages), min_size=1, max_size=3)
)
def test_a_failed_charges_customer_text_never_contains_a_failure_code(
    raw: dict[str, Any], failures: list[tuple[str, str | None]]
) -> None:
    charges = raw["data"]["object"]["payment"]["charges"]
    for charge, (code, message) in zip(charges, failures, strict=False):
        charge["failureCode"] = code
        charge["failureMessage"] = message
    needles = [_tidy(c["failureCode"]) for c in charges if c.get("failureCode")]
    assume(all(n and n not in _tidy(DEFAULT_PAYMENT_FAILED_TEXT) for n in needles))

    signal = signal_from_body(raw)

    assert isinstance(signal, Signal) and signal.customer_message is not None
    assert all(needle not in _tidy(signal.customer_message) for needle in needles)
    parsed = Order.model_validate(raw["data"]["object"])
    assert signal.customer_message == failed_charge_text(parsed.payment.charges)
