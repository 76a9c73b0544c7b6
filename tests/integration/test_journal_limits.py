"""A journal's event lines meet the DR adapter's input limits exactly as a webhook body does.

The journal decodes each line once and hands the decoded JSON to the adapter
with the text (no second decoding); the adapter must still refuse every line
it refuses as text, with the same message, reported as ``FILE:LINE``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic_core import from_json

from orderfsm.adapters.digitalriver import map_create_order_response, parse_event, signal_from_body
from orderfsm.errors import PayloadError
from orderfsm.journal import apply_journal, numbered_lines
from orderfsm.service import Engine

FIXTURE = Path(__file__).parents[1] / "fixtures" / "dr" / "events" / "order.accepted__1.json"


def nested(depth: int) -> object:
    value: object = "deep"
    for _ in range(depth):
        value = {"x": value}
    return value


def variants() -> list[tuple[str, str]]:
    event = json.loads(FIXTURE.read_text())
    text = json.dumps(event)
    return [
        ("NUL in the id", text.replace(event["id"], event["id"] + "\\u0000", 1)),
        ("lone surrogate in an extra", text[:-1] + ', "note": "\\udc00"}'),
        ("an infinite amount", text[:-1] + ', "amount": 1e999999}'),
        ("an id over 255 characters", text.replace(event["id"], "e" * 300, 1)),
        ("nested 250 deep", text[:-1] + ', "extra": ' + json.dumps(nested(250)) + "}"),
    ]


def refusal(text: str) -> str:
    """What the journal says: the parser's refusal as it words it, else the adapter's."""
    try:
        from_json(text, allow_inf_nan=False)
    except ValueError as exc:
        return f"not JSON: {exc}"
    with pytest.raises(PayloadError) as refused:
        signal_from_body(text)
    return str(refused.value)


@pytest.mark.parametrize(("case", "line"), variants(), ids=[c for c, _ in variants()])
def test_a_journal_line_is_refused_as_its_text_would_be(
    case: str, line: str, tmp_path: Path
) -> None:
    assert case
    journal = tmp_path / "j.jsonl"
    journal.write_text(FIXTURE.read_text().replace("\n", " ") + "\n" + line + "\n")
    with Engine.open(f"sqlite:///{tmp_path / 'shop.db'}", create_if_empty=True) as engine:
        report = apply_journal(engine, numbered_lines([journal]))
    parse_event(FIXTURE.read_bytes())  # the untouched event reads
    assert report.errors == [f"{journal}:2: {refusal(line)}"]
    assert report.done == 2


ORDER = Path(__file__).parents[1] / "fixtures" / "dr" / "api" / "order_accepted_1.json"


def answer_variants() -> list[tuple[str, str]]:
    order = json.loads(ORDER.read_text())
    body = json.dumps(order)
    return [
        ("NUL in the id", body.replace(order["id"], order["id"] + "\\u0000", 1)),
        ("lone surrogate in an extra", body[:-1] + ', "note": "\\udc00"}'),
        ("an infinite amount", body[:-1] + ', "amount": 1e999999}'),
        ("an id over 255 characters", body.replace(order["id"], "e" * 300, 1)),
    ]


def answer_line(body: str) -> str:
    return (
        '{"kind": "create_order_response", "upstreamId": "UP1", "status": 201, "body": '
        + body
        + "}"
    )


def answer_refusal(line: str) -> str:
    """What the journal says: the parser's refusal, else the adapter's on the body as a mapping."""
    try:
        decoded = from_json(line, allow_inf_nan=False)
    except ValueError as exc:
        return f"not JSON: {exc}"
    with pytest.raises(PayloadError) as refused:
        # A mapping built in Python: always walked whole for the limits.
        map_create_order_response(
            201, json.loads(json.dumps(decoded["body"])), upstream_id="UP1", checkout_id=None
        )
    return str(refused.value)


@pytest.mark.parametrize(("case", "body"), answer_variants(), ids=[c for c, _ in answer_variants()])
def test_a_journal_answer_to_post_orders_is_refused_as_its_mapping_would_be(
    case: str, body: str, tmp_path: Path
) -> None:
    """A create_order_response line's decoded body is checked, not walked: same refusal."""
    assert case
    journal = tmp_path / "j.jsonl"
    line = answer_line(body)
    journal.write_text(
        '{"kind": "submit", "upstreamId": "UP1", "checkoutId": "c1"}\n' + line + "\n"
    )
    with Engine.open(f"sqlite:///{tmp_path / 'shop.db'}", create_if_empty=True) as engine:
        report = apply_journal(engine, numbered_lines([journal]))
    assert report.errors == [f"{journal}:2: {answer_refusal(line)}"]
    assert report.done == 2
