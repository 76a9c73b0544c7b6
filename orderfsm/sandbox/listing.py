"""DR's list answers: ``limit`` (1-100), ``startingAfter`` cursors, ``hasMore``; time filters."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
_COMPARISONS: Mapping[str, Callable[[datetime, datetime], bool]] = {
    "createdTime[gt]": lambda stamp, bound: stamp > bound,
    "createdTime[gte]": lambda stamp, bound: stamp >= bound,
    "createdTime[lt]": lambda stamp, bound: stamp < bound,
    "createdTime[lte]": lambda stamp, bound: stamp <= bound,
}


def _bad(parameter: str, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "type": "bad_request",
            "errors": [{"code": "invalid_parameter", "parameter": parameter, "message": message}],
        },
        400,
    )


def page_of(items: Sequence[dict[str, Any]], query: Mapping[str, str]) -> JSONResponse:
    """One page of ``items`` (already filtered and sorted) as DR answers it."""
    text = query.get("limit", str(DEFAULT_LIMIT))
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LIMIT:
        return _bad("limit", f"limit must be between 1 and {MAX_LIMIT}.")
    limit = int(text)
    start = 0
    cursor = query.get("startingAfter")
    if cursor:
        ids = [item["id"] for item in items]
        if cursor not in ids:
            return _bad("startingAfter", f"No such object '{cursor}'.")
        start = ids.index(cursor) + 1
    chosen = list(items[start : start + limit])
    return JSONResponse({"hasMore": start + limit < len(items), "data": chosen})


def _read_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def time_filter(query: Mapping[str, str]) -> Callable[[str], bool] | JSONResponse:
    """A test of an item's ``createdTime`` against the query's bounds, or a 400."""
    bounds: list[tuple[Callable[[datetime, datetime], bool], datetime]] = []
    for name, compare in _COMPARISONS.items():
        if name in query:
            try:
                bounds.append((compare, _read_time(query[name])))
            except ValueError:
                return _bad(name, f"{name} must be an ISO-8601 time.")
    if "createdTime" in query:
        try:
            exact = _read_time(query["createdTime"])
        except ValueError:
            return _bad("createdTime", "createdTime must be an ISO-8601 time.")
        bounds.append((lambda stamp, bound: stamp == bound, exact))

    def keep(created: str) -> bool:
        stamp = _read_time(created)
        return all(compare(stamp, bound) for compare, bound in bounds)

    return keep
