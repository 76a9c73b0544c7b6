"""Reading DR's API answers: JSON objects, models, list pages, refusals, ``Retry-After``.

Every problem becomes a :class:`~orderfsm.errors.DrApiError` naming the call.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx
from pydantic import ValidationError

from orderfsm.adapters.digitalriver.models import DrModel, ErrorBody
from orderfsm.adapters.digitalriver.models_api import EventList, OrderList, Page, Received
from orderfsm.adapters.digitalriver.parse import json_path
from orderfsm.errors import DrAnswerInvalid, DrRequestRejected

M = TypeVar("M", bound=DrModel)

DEFAULT_RETRY_AFTER_S = 1.0
"""The wait after a ``429`` whose ``Retry-After`` is missing or not whole seconds."""


def retry_after_s(response: httpx.Response, ceiling: float) -> float:
    text = response.headers.get("Retry-After", "").strip()
    # DR sends whole seconds; anything else gets a short default rather than no wait.
    seconds = float(text) if text.isascii() and text.isdigit() else DEFAULT_RETRY_AFTER_S
    return min(seconds, ceiling)


def read_json_object(call: str, response: httpx.Response) -> dict[str, Any]:
    try:
        data = json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DrAnswerInvalid(
            call, f"answer {response.status_code} is not JSON ({type(exc).__name__})"
        ) from exc
    if not isinstance(data, dict):
        raise DrAnswerInvalid(call, f"answer {response.status_code} is not a JSON object")
    return data


def read_model(call: str, model: type[M], body: Mapping[str, Any]) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)
        problems = "; ".join(f"{json_path('', e['loc'])}: {e['msg']}" for e in first[:3])
        raise DrAnswerInvalid(call, f"unreadable {model.__name__}: {problems}") from exc


def read_page(
    call: str, page_model: type[OrderList | EventList], item: type[M], response: httpx.Response
) -> Page[M]:
    if response.status_code != httpx.codes.OK:
        raise rejection(call, response)
    body = read_json_object(call, response)
    page = read_model(call, page_model, body)
    raw = body.get("data") or []
    items = tuple(
        Received(model, dict(raw_item))
        for model, raw_item in zip(page.data, raw, strict=True)
        if isinstance(model, item)
    )
    return Page(items, page.has_more)


def rejection(call: str, response: httpx.Response) -> DrRequestRejected:
    codes: list[str] = []
    messages: list[str] = []
    try:
        error = ErrorBody.model_validate_json(response.content)
    except ValidationError:
        pass  # a non-DR error body (a proxy's page): the status alone must do
    else:
        codes = [e.code for e in error.errors]
        messages = [e.message or "" for e in error.errors]
    return DrRequestRejected(call, response.status_code, codes, messages)
