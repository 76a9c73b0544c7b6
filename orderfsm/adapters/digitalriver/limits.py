"""The input limits every DR payload meets before any model reads it, on every database alike.

One set, checked where payloads are read (:mod:`.parse`), so the receiver and
the worker agree on what is readable and SQLite and PostgreSQL store the same:

* no string (key or value) holds a NUL character: PostgreSQL's text and JSON
  columns cannot store one, SQLite can, and an event that one database stores
  and the other refuses is an event that is lost on one of them;
* no string holds a lone UTF-16 surrogate: it has no UTF-8 form, so no
  database driver can write it;
* every number is finite: ``1e999999`` reads as infinity, which no JSON
  column can store and no amount is;
* nesting stops at :data:`MAX_DEPTH` levels (pydantic-core's JSON parser
  stops at about 200 as well; this bounds mappings built in Python too).

Ids, types and states are bounded in length by the models (``Token``, at most
:data:`~.models.MAX_TOKEN_LENGTH` characters). :func:`check_limits` reports
the first problem it meets as ``"json.path: reason"``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from pydantic_core import PydanticSerializationError, to_json

MAX_DEPTH = 200
"""Deepest nesting accepted: pydantic-core's JSON parser's own bound, kept for mappings too."""

_DEPTH_SHOWN = 6
_FORBIDDEN_CHARACTER = re.compile("[\x00\ud800-\udfff]")

NUL_REASON = "contains a NUL character (\\u0000)"
SURROGATE_REASON = "contains a lone UTF-16 surrogate"
NOT_FINITE_REASON = "is not a finite number"
TOO_DEEP_REASON = f"nested deeper than {MAX_DEPTH} levels"


def string_problem(text: str) -> str | None:
    """Why ``text`` breaks the limits (NUL, lone surrogate), or ``None`` when it is fine."""
    if text.isascii() and "\x00" not in text:  # nearly every string: no regex (isascii is O(1))
        return None
    found = _FORBIDDEN_CHARACTER.search(text)
    if found is None:
        return None
    return NUL_REASON if found.group() == "\x00" else SURROGATE_REASON


# Re-encoding the decoded value in Rust (pydantic-core) shows at once whether
# it can break a limit: a NUL comes out as the escape \u0000, an infinity as
# the constant Infinity (NaN as NaN) and a lone surrogate cannot be encoded
# at all. Only a value that shows one of them (or a false alarm, such as the
# text "Infinity" in a string) is walked, in Python, for the precise path.
_SIGNS = (b"\\u0000", b"Infinity", b"NaN")


def may_break_limits(data: object) -> bool:
    """Whether a decoded JSON value may break a limit; ``False`` is certain.

    Several times cheaper than :func:`check_limits`, which it spares for
    nearly every payload. It does not judge depth: the JSON parser bounds it.
    """
    try:
        text = to_json(data, inf_nan_mode="constants")
    except (PydanticSerializationError, ValueError, RecursionError):
        return True
    return any(sign in text for sign in _SIGNS)


def check_limits(data: object, render: Callable[[list[str | int]], str]) -> str | None:
    """The first place in ``data`` that breaks a limit, as ``"path: reason"``, or ``None``.

    ``render`` turns a location (keys and indexes from the root) into a JSON
    path; the walk uses its own stack, so depth costs no recursion.
    """
    stack: list[tuple[Any, list[str | int]]] = [(data, [])]
    while stack:
        value, loc = stack.pop()
        if len(loc) > MAX_DEPTH:
            # The path up to the limit would be longer than the message should be.
            return f"{render(loc[:_DEPTH_SHOWN])}...: {TOO_DEEP_REASON}"
        if isinstance(value, str):
            reason = string_problem(value)
            if reason is not None:
                return f"{render(loc)}: {reason}"
        elif isinstance(value, float):
            if not math.isfinite(value):
                return f"{render(loc)}: {NOT_FINITE_REASON}"
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and (reason := string_problem(key)) is not None:
                    return f"{render([*loc, key])}: key {reason}"
                stack.append((item, [*loc, key]))
        elif isinstance(value, list | tuple):
            stack.extend((item, [*loc, index]) for index, item in enumerate(value))
    return None
