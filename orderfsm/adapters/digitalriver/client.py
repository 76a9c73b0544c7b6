"""A typed, synchronous httpx client for the DR API calls orderfsm makes itself.

``POST /orders``, ``GET /orders`` (by checkout id, upstream ids or ids, with
cursor paging), ``GET /orders/{id}``, ``GET /events`` and ``POST /fulfillments``.

- GETs are retried (tenacity: exponential backoff with jitter) on timeouts,
  connection errors, 5xx and 429; POSTs are sent once, since DR has no
  idempotency key and a lost answer may hide work DR did: the caller decides
  (:mod:`orderfsm.service.submission` looks the order up before resending).
- A ``429`` holds the whole client (:class:`RateGate`) for its ``Retry-After``.
- Every answer is read with the adapter's pydantic models; every failure is a
  :class:`~orderfsm.errors.DrApiError` naming the call, never the key.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import httpx
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from orderfsm.adapters.digitalriver.api_answers import (
    read_json_object,
    read_model,
    read_page,
    rejection,
    retry_after_s,
)
from orderfsm.adapters.digitalriver.api_calls import CallObserver, DrCall, NoAnswer, tell
from orderfsm.adapters.digitalriver.api_config import DrApiConfig
from orderfsm.adapters.digitalriver.models import DrModel, ErrorBody, Event
from orderfsm.adapters.digitalriver.models_api import (
    MAX_PAGE_SIZE,
    EventList,
    FulfillmentRequest,
    OrderList,
    Page,
    Received,
)
from orderfsm.adapters.digitalriver.models_order import Order
from orderfsm.adapters.digitalriver.models_other import Fulfillment
from orderfsm.adapters.digitalriver.rate_gate import RateGate
from orderfsm.closing import Closing
from orderfsm.errors import (
    DrRateLimited,
    DrUnreachable,
)

M = TypeVar("M", bound=DrModel)

CREATE_ORDER_ANSWERS = frozenset({201, 400, 404, 409})
"""The ``POST /orders`` statuses that are DR's decision, recorded by the lifecycle."""

FULFILLMENT_DONE_CODES = frozenset(
    {"item_fulfilled", "item_cancelled", "order_fulfilled", "order_complete", "order_cancelled"}
)
"""``409`` codes of ``POST /fulfillments`` meaning the work is already done."""

_USER_AGENT = "orderfsm-drclient"


@dataclass(frozen=True, slots=True)
class CreateOrderAnswer:
    """DR's decision on ``POST /orders``: the status and body to record, read."""

    status: int
    body: dict[str, Any]
    order: Order | None
    """The created order (``201`` only)."""
    error: ErrorBody | None
    """DR's error body (``400``, ``404``, ``409``)."""


class DrClient(Closing):
    """The DR API, one method per call; thread-safe, one per process and key."""

    def __init__(
        self,
        config: DrApiConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        gate: RateGate | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_call: CallObserver | None = None,
    ) -> None:
        self.config = config
        self.on_call = on_call
        """Told of every request sent (:mod:`.api_calls`): metrics hook here."""
        self.gate = gate or RateGate(sleep=sleep)
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=config.root,
            headers={
                "Authorization": f"Bearer {config.secret_key}",
                "Accept": "application/json",
                "User-Agent": _USER_AGENT,
            },
            timeout=httpx.Timeout(
                config.read_timeout_s, connect=config.connect_timeout_s, pool=config.read_timeout_s
            ),
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- orders ---------------------------------------------------------------

    def create_order(self, checkout_id: str) -> CreateOrderAnswer:
        """``POST /orders {checkoutId}``, sent once.

        Returns DR's decision (201, 400, 404, 409). Raises ``DrUnreachable``
        when the answer is lost (timeout, reset, 5xx: the order may exist),
        ``DrRateLimited`` on 429 (nothing was done), ``DrRequestRejected`` on
        any other 4xx.
        """
        call = "POST /orders"
        response = self._send_once(call, "POST", "/orders", body={"checkoutId": checkout_id})
        if response.status_code not in CREATE_ORDER_ANSWERS:
            raise rejection(call, response)
        body = read_json_object(call, response)
        if response.status_code == httpx.codes.CREATED:
            return CreateOrderAnswer(
                response.status_code, body, read_model(call, Order, body), None
            )
        return CreateOrderAnswer(
            response.status_code, body, None, read_model(call, ErrorBody, body)
        )

    def list_orders(
        self,
        *,
        checkout_id: str | None = None,
        upstream_ids: Sequence[str] = (),
        ids: Sequence[str] = (),
        state: str | None = None,
        limit: int = MAX_PAGE_SIZE,
        starting_after: str | None = None,
    ) -> Page[Order]:
        """One page of ``GET /orders`` with DR's filters."""
        params = _params(
            checkoutId=checkout_id,
            upstreamIds=",".join(upstream_ids) or None,
            ids=",".join(ids) or None,
            state=state,
            limit=str(_limit(limit)),
            startingAfter=starting_after,
        )
        call = "GET /orders"
        response = self._get(call, "/orders", params)
        return read_page(call, OrderList, Order, response)

    def iter_orders(self, **filters: Any) -> Iterator[Received[Order]]:
        """Every order matching ``filters`` (those of :meth:`list_orders`), page after page."""
        return _walk(lambda after: self.list_orders(**filters, starting_after=after))

    def find_orders_for_checkout(self, checkout_id: str) -> tuple[Received[Order], ...]:
        """Every DR order made from ``checkout_id`` (DR makes at most one)."""
        return tuple(self.iter_orders(checkout_id=checkout_id))

    def get_order(self, order_id: str) -> Received[Order]:
        """``GET /orders/{id}``; an unknown id is ``DrRequestRejected`` (404)."""
        call = "GET /orders/{id}"
        response = self._get(call, f"/orders/{order_id}", {})
        if response.status_code != httpx.codes.OK:
            raise rejection(call, response)
        body = read_json_object(call, response)
        return Received(read_model(call, Order, body), body)

    # -- events ---------------------------------------------------------------

    def list_events(
        self,
        *,
        created_after: datetime | None = None,
        types: Sequence[str] = (),
        limit: int = MAX_PAGE_SIZE,
        starting_after: str | None = None,
    ) -> Page[Event]:
        """One page of ``GET /events`` (``createdTime[gt]``, ``types``)."""
        params = _params(
            limit=str(_limit(limit)),
            types=",".join(types) or None,
            startingAfter=starting_after,
        )
        if created_after is not None:
            params["createdTime[gt]"] = created_after.isoformat().replace("+00:00", "Z")
        call = "GET /events"
        return read_page(call, EventList, Event, self._get(call, "/events", params))

    def iter_events(
        self, *, created_after: datetime | None = None, types: Sequence[str] = ()
    ) -> Iterator[Received[Event]]:
        """Every event matching the filters, page after page."""
        return _walk(
            lambda after: self.list_events(
                created_after=created_after, types=types, starting_after=after
            )
        )

    # -- fulfillments ---------------------------------------------------------

    def create_fulfillment(self, request: FulfillmentRequest) -> Received[Fulfillment]:
        """``POST /fulfillments``, sent once (no idempotency key: see the module docstring).

        A ``409`` whose codes are all in :data:`FULFILLMENT_DONE_CODES` means
        the work was done before; it is still raised as ``DrRequestRejected``
        so the caller sees DR's code.
        """
        call = "POST /fulfillments"
        response = self._send_once(call, "POST", "/fulfillments", body=request.to_json())
        if response.status_code != httpx.codes.CREATED:
            raise rejection(call, response)
        body = read_json_object(call, response)
        return Received(read_model(call, Fulfillment, body), body)

    # -- sending --------------------------------------------------------------

    def _get(self, call: str, path: str, params: Mapping[str, str]) -> httpx.Response:
        retrying = Retrying(
            stop=stop_after_attempt(self.config.max_attempts),
            wait=wait_exponential(
                multiplier=self.config.backoff_initial_s, max=self.config.backoff_max_s
            )
            + wait_random(0, self.config.backoff_jitter_s),
            retry=retry_if_exception_type((DrUnreachable, DrRateLimited)),
            sleep=self._sleep,
            reraise=True,
        )
        return retrying(self._send_once, call, "GET", path, params=params)

    def _send_once(
        self,
        call: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        self.gate.wait()
        started, status = time.monotonic(), NoAnswer.BROKEN.value
        try:
            response = self._http.request(method, path, params=params, json=body)
            status = str(response.status_code)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # Nothing was sent: DR cannot have acted on this request.
            status = NoAnswer.CONNECT_FAILED.value
            raise DrUnreachable(
                call,
                f"could not connect to Digital River at {self.config.root} ({type(exc).__name__})",
            ) from exc
        except httpx.TimeoutException as exc:
            status = NoAnswer.TIMEOUT.value
            detail = f"no answer from Digital River ({type(exc).__name__})"
            raise DrUnreachable(call, detail) from exc
        except httpx.TransportError as exc:
            detail = f"the connection broke before Digital River answered ({type(exc).__name__})"
            raise DrUnreachable(call, detail) from exc
        finally:
            tell(self.on_call, DrCall(call, status, time.monotonic() - started))
        if response.status_code == httpx.codes.TOO_MANY_REQUESTS:
            wait = retry_after_s(response, self.config.max_retry_after_s)
            self.gate.hold(wait)
            raise DrRateLimited(call, wait)
        if response.status_code >= httpx.codes.INTERNAL_SERVER_ERROR:
            raise DrUnreachable(call, f"Digital River answered {response.status_code}")
        return response


def _params(**values: str | None) -> dict[str, str]:
    return {key: value for key, value in values.items() if value is not None}


def _limit(limit: int) -> int:
    # DR refuses limits outside 1-100; clamping keeps a caller's typo from a 400.
    return max(1, min(MAX_PAGE_SIZE, limit))


def _walk(fetch: Callable[[str | None], Page[M]]) -> Iterator[Received[M]]:
    after: str | None = None
    while True:
        page = fetch(after)
        yield from page.items
        if not page.has_more or page.last_id is None:
            return
        after = page.last_id
