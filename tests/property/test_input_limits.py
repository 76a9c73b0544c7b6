"""The parser's quick check never lets through a body that breaks the input limits.

``may_break_limits`` decides whether a decoded value must be walked; it may
raise false alarms, never miss a NUL or an infinity.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import from_json

from orderfsm.adapters.digitalriver.limits import check_limits, may_break_limits


@dataclass(frozen=True)
class RawNumber:
    """A JSON number written as text (no encoder writes 1e400 or 400 digits)."""

    text: str


def _dumps(value: object) -> str:
    if isinstance(value, RawNumber):
        return value.text
    if isinstance(value, list):
        return "[" + ",".join(_dumps(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_dumps(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=420).map(
    lambda d: d.lstrip("0") or "0"
)
RAW_NUMBERS = st.builds(
    lambda sign, whole, fraction, exponent: RawNumber(f"{sign}{whole}{fraction}{exponent}"),
    st.sampled_from(["", "-"]),
    _DIGITS,
    st.sampled_from(["", ".5", ".000001"]),
    st.one_of(
        st.just(""),
        st.integers(-1200, 1200).map(lambda e: f"e{e}"),
        st.integers(0, 1200).map(lambda e: f"E+{e}"),
    ),
)
TEXT = st.one_of(
    st.text(max_size=20), st.sampled_from(["\x00", "a\x00b", "\\u0000", "\\\\u0000", "e999"])
)
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
    | RAW_NUMBERS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=25,
)


@given(value=VALUES, as_bytes=st.booleans())
def test_a_value_the_quick_check_passes_is_within_the_limits(value: object, as_bytes: bool) -> None:
    text = _dumps(value)
    raw: bytes | str = text.encode() if as_bytes else text
    try:
        decoded = from_json(raw, allow_inf_nan=False)
    except ValueError:
        return  # the parser refuses it outright: a PayloadError either way

    problem = check_limits(decoded, lambda loc: repr(loc))

    if problem is not None:
        assert may_break_limits(decoded), problem
