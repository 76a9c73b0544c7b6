"""The receiver's payload boundary: what it answers 202 for, the worker can read.

Real uvicorn in a thread (:func:`orderfsm.adapters.http.server.serving`), real
HTTP on 127.0.0.1, a real SQLite file (and the real PostgreSQL for the bodies
one database would store and the other refuse); after each 202 the worker's
own path (:func:`orderfsm.inbox.apply_inbox`) must apply the entry.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from orderfsm import Engine
from orderfsm.adapters.digitalriver import EVENT_TABLE, SIGNATURE_HEADER, sign
from orderfsm.adapters.http import ReceiverConfig, create_app
from orderfsm.adapters.http.server import serving
from orderfsm.inbox import apply_inbox
from orderfsm.persistence import InboxStatus
from orderfsm.persistence import inbox as store

SECRET = "whsec_boundary"
EVENTS = Path(__file__).parents[1] / "fixtures" / "dr" / "events"
ACCEPTED = json.loads((EVENTS / "order.accepted__1.json").read_text())
NOT_RELEVANT = json.loads((EVENTS / "subscription.created__1.json").read_text())

Post = Callable[[bytes], httpx.Response]


@contextmanager
def receiving(db_url: str) -> Iterator[tuple[Engine, Post]]:
    """A served receiver on ``db_url``, the worker's engine, and a signed poster."""
    with Engine.open(db_url, create_if_empty=True) as engine:
        app = create_app(ReceiverConfig(db_url, secrets=(SECRET,)))
        with serving(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:

            def post(body: bytes) -> httpx.Response:
                headers = {SIGNATURE_HEADER: sign(body, SECRET, int(time.time()))}
                return client.post("/webhooks/digitalriver", content=body, headers=headers)

            yield engine, post


def _event(**changes: Any) -> dict[str, Any]:
    return {**ACCEPTED, **changes}


def _text(event: dict[str, Any]) -> bytes:
    return json.dumps(event).encode()


def _with_raw(event: dict[str, Any], key: str, raw: str) -> bytes:
    """``event`` with ``data.object[key]`` set to raw JSON text no encoder would write."""
    marker = "__raw_value_marker__"
    text = json.dumps({**event, "data": {"object": {**event["data"]["object"], key: marker}}})
    return text.replace(json.dumps(marker), raw).encode()


POISON = {
    "nested 2,000 levels": _with_raw(ACCEPTED, "deep", "[" * 2000 + "]" * 2000),
    "an integer of 4,301 digits": _with_raw(ACCEPTED, "amount", "9" * 4301),
    "a lone surrogate in id": _text(_event(id="evt-\ud800")),
    "a lone surrogate in type": _text(_event(type="order.\udc00accepted")),
    "NaN": _with_raw(ACCEPTED, "amount", "NaN"),
    "-Infinity": _with_raw(ACCEPTED, "amount", "-Infinity"),
    "1e999999": _with_raw(ACCEPTED, "amount", "1e999999"),
    "a NUL in id": _text(_event(id="evt-\x00-1")),
    "a NUL in type": _text(_event(type="order.accepted\x00")),
    "a NUL in a key": _with_raw(ACCEPTED, "x\u0000y", "1"),
    "a NUL in data.object": _with_raw(ACCEPTED, "note", '"a\\u0000b"'),
    "an id of 256 characters": _text(_event(id="e" * 256)),
    "a type of 129 characters": _text(_event(type="t" * 129)),
}


@pytest.mark.parametrize("body", POISON.values(), ids=POISON.keys())
def test_a_body_one_parser_or_database_would_refuse_gets_400_and_is_not_stored(
    db_url: str, body: bytes
) -> None:
    with receiving(db_url) as (engine, post):
        answer = post(body)

        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == "payload"
        assert answer.json()["detail"]
        with engine.db.connect() as connection:
            assert sum(store.backlog(connection).inbox.values()) == 0


def test_a_relevant_event_whose_object_the_worker_cannot_read_gets_400(sqlite_url: str) -> None:
    # Caught by the receiver, not stored to go dead in the worker later.
    broken = _event(data={"object": {"id": 17}})
    with receiving(sqlite_url) as (_engine, post):
        answer = post(_text(broken))

    assert answer.status_code == 400
    assert answer.json()["detail"].startswith("data.object.")


# -------------------------------------------------------------- property

_ODD_TEXT = st.sampled_from(["\x00", "\ud800", "a\udc00", "[/x]", "\\", "😀", "", " "])
TEXT = st.one_of(st.text(max_size=40), _ODD_TEXT)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)
EVENT_TYPES = st.sampled_from([*EVENT_TABLE, "subscription.created", "order.invoice.created"])


@st.composite
def deliveries(draw: st.DrawFn) -> bytes:
    """Arbitrary bytes, arbitrary JSON, and real events with arbitrary parts."""
    kind = draw(st.sampled_from(["event", "not_relevant", "event", "bytes", "json"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "json":
        return json.dumps(draw(JSON_VALUES)).encode()
    base = ACCEPTED if kind == "event" else NOT_RELEVANT
    event = dict(base)
    event["id"] = draw(st.one_of(st.uuids().map(str), TEXT))
    if draw(st.booleans()):
        event["type"] = draw(st.one_of(EVENT_TYPES, TEXT))
    obj = dict(base["data"]["object"])
    for key in draw(st.lists(st.sampled_from(sorted(obj)), max_size=2)):
        obj[key] = draw(JSON_VALUES)
    obj.update(draw(st.dictionaries(TEXT, JSON_VALUES, max_size=2)))
    keep_data = draw(st.sampled_from([True, True, True, False]))
    event["data"] = {"object": obj} if keep_data else draw(JSON_VALUES)
    return json.dumps(event).encode()


def test_every_delivery_gets_202_400_or_413_and_every_202_is_applied_by_the_worker(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'boundary.db'}"
    answered: Counter[int] = Counter()
    with receiving(url) as (engine, post):

        @settings(
            max_examples=150,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(body=deliveries())
        def deliver(body: bytes) -> None:
            answer = post(body)

            assert answer.status_code in {202, 400, 413}, answer.text
            answered[answer.status_code] += 1
            if answer.status_code != 202:
                return
            report = apply_inbox(engine)
            event_id = answer.json()["id"]
            with engine.db.connect() as connection:
                status = connection.execute(
                    select(store.INBOX.c.status, store.INBOX.c.error).where(
                        store.INBOX.c.event_id == event_id
                    )
                ).one()
            assert report.dead == 0 and report.retried == 0, status.error
            assert status.status == InboxStatus.APPLIED.value

        deliver()

    # The property was exercised on both sides of the boundary.
    assert answered[202] > 0 and answered[400] > 0, answered
