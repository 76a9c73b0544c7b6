"""Submitting an order to DR so that a lost answer never loses or doubles it.

DR has no idempotency key for ``POST /orders``, but a checkout becomes an
order at most once, and ``GET /orders?checkoutId=`` finds it. So:

1. record the submit (the order is ``submitted``); an order already past
   ``submitted`` has had its answer recorded (or DR's events moved it on), so
   nothing is sent: a second ``POST /orders`` could only answer 404, or, for a
   checkout DR refused, make a DR order the platform's finished order would
   refuse;
2. send ``POST /orders`` once and record DR's answer (201, 409, 404, 400);
3. when the answer is lost (timeout, reset, 5xx), look the order up by
   checkout id: found, it is recorded as DR's ``201`` answer; not found,
   the checkout is not consumed and the POST is safe to send again;
4. a ``404`` (checkout consumed) also leads to the lookup, so an order made
   by an earlier, lost attempt is recorded with its DR id and state;
5. when DR stays unreachable, ``DrUnreachable`` is raised and the order stays
   ``submitted``, to be found again by a later submit or a sweep.

A found order in a state no ``201`` can report (DR already moved it on to
``blocked``, ``fulfilled``, ...) is applied as the event DR sends for that
state (:func:`~orderfsm.service.snapshot_events.snapshot_event`), so the order
is recorded with DR's id and real state and its later events apply normally.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from orderfsm.adapters.digitalriver.client import CreateOrderAnswer, DrClient
from orderfsm.adapters.digitalriver.mapping import CREATED_ORDER_STATES
from orderfsm.adapters.digitalriver.models_api import Received
from orderfsm.adapters.digitalriver.models_order import Order
from orderfsm.errors import ConfigurationError, DrApiError, DrRateLimited, DrUnreachable
from orderfsm.fsm.states import OrderState
from orderfsm.persistence.database import utcnow
from orderfsm.service.snapshot_events import snapshot_event

if TYPE_CHECKING:
    from orderfsm.service.engine import Engine
    from orderfsm.service.results import ApplyResult

CREATE_ORDER_CALL = "POST /orders"
_CREATED = 201
_CONSUMED = 404


@dataclass(frozen=True, slots=True)
class SubmissionPolicy:
    """How hard to try: ``POST /orders`` sends at most, and the wait between them."""

    max_posts: int = 3
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 5.0

    def __post_init__(self) -> None:
        if self.max_posts < 1:
            raise ConfigurationError(f"max_posts must be at least 1, not {self.max_posts}")
        if self.backoff_initial_s < 0 or self.backoff_max_s < 0:
            raise ConfigurationError("submission backoff must not be negative")

    def backoff(self, retry: int) -> float:
        """Seconds to wait before the ``retry``-th resend (1, 2, ...)."""
        return float(min(self.backoff_max_s, self.backoff_initial_s * 2 ** (retry - 1)))


@dataclass(frozen=True, slots=True)
class SubmissionResult:
    """What the submission recorded."""

    upstream_id: str
    order_id: str | None
    """DR's order id, once known."""
    state: str
    """The upstream order's state after the answer was recorded."""
    status: int | None
    """The DR answer recorded (201 also for an order found by the lookup);
    ``None`` when nothing was sent because the order was already past ``submitted``."""
    recovered: bool
    """The order was found with ``GET /orders`` rather than read from a POST's answer."""
    posts: int
    """How many ``POST /orders`` were sent."""
    result: ApplyResult

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` shape."""
        return {"upstreamId": self.upstream_id, "orderId": self.order_id, "state": self.state}


def submit_to_dr(
    engine: Engine,
    client: DrClient,
    upstream_id: str,
    checkout_id: str,
    *,
    policy: SubmissionPolicy = SubmissionPolicy(),
    sleep: Callable[[float], None] = time.sleep,
) -> SubmissionResult:
    """Submit ``checkout_id`` for ``upstream_id`` and record DR's answer, recovering lost ones.

    Raises ``DrUnreachable`` when no answer could be had after
    ``policy.max_posts`` sends (the order stays ``submitted``),
    ``DrRequestRejected`` for a 4xx DR gives outside the lifecycle (401, ...),
    and what :meth:`Engine.submit` raises (``OrderConflict``, ...).
    """
    submitted = engine.submit(upstream_id, checkout_id)
    if submitted.state is not None and submitted.state != OrderState.SUBMITTED:
        return _result(engine, upstream_id, submitted, None, recovered=False, posts=0)
    last: DrApiError | None = None
    for post in range(1, policy.max_posts + 1):
        if post > 1 and not isinstance(last, DrRateLimited):
            # After a 429 the client's gate already holds the send for Retry-After.
            sleep(policy.backoff(post - 1))
        try:
            answer = client.create_order(checkout_id)
        except DrRateLimited as exc:
            last = exc
            continue
        except DrUnreachable as exc:
            last = exc
            found = _look_up(client, checkout_id)
            if found is not None:
                return _record_found(engine, upstream_id, found, post)
            continue
        if answer.status == _CONSUMED:
            found = _look_up(client, checkout_id)
            if found is not None:
                return _record_found(engine, upstream_id, found, post)
        return _record(engine, upstream_id, answer, post)
    raise DrUnreachable(
        CREATE_ORDER_CALL,
        f"no answer for checkout {checkout_id!r} after {policy.max_posts} attempts, "
        f"order {upstream_id!r} stays submitted (last: {last})",
    )


def _look_up(client: DrClient, checkout_id: str) -> Received[Order] | None:
    """DR's order for the checkout; ``None`` when there is none or DR cannot say now."""
    try:
        found = client.find_orders_for_checkout(checkout_id)
    except (DrUnreachable, DrRateLimited):
        # Unknown is not "absent", yet resending stays safe: if the order exists,
        # the POST answers 404 and the lookup runs again.
        return None
    matching = [o for o in found if o.model.checkout_id in (None, checkout_id)]
    return matching[-1] if matching else None


def _record(
    engine: Engine, upstream_id: str, answer: CreateOrderAnswer, posts: int
) -> SubmissionResult:
    result = engine.record_create_order_response(upstream_id, answer.status, answer.body)
    return _result(engine, upstream_id, result, answer.status, recovered=False, posts=posts)


def _record_found(
    engine: Engine, upstream_id: str, found: Received[Order], posts: int
) -> SubmissionResult:
    if found.model.state in CREATED_ORDER_STATES:
        result = engine.record_create_order_response(upstream_id, _CREATED, found.body)
        return _result(engine, upstream_id, result, _CREATED, recovered=True, posts=posts)
    # DR moved the order on (blocked, fulfilled, ...): no 201 can report that, so DR's
    # order is applied as the event DR sends for its state, walking the lifecycle there.
    result = engine.apply_event(snapshot_event(found, utcnow()))
    return _result(engine, upstream_id, result, _CREATED, recovered=True, posts=posts)


def _result(
    engine: Engine,
    upstream_id: str,
    result: ApplyResult,
    status: int | None,
    *,
    recovered: bool,
    posts: int,
) -> SubmissionResult:
    view = engine.show(upstream_id)
    return SubmissionResult(
        upstream_id, view.order_id, view.state, status, recovered, posts, result
    )
