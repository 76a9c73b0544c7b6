"""The demo's conversation with DR: orders submitted, webhooks back, fulfilments, an outage.

Everything goes over real HTTP on 127.0.0.1: the shop submits with
:func:`~orderfsm.service.submission.submit_to_dr` to the sandbox, the
sandbox signs and POSTs its webhooks to the receiver, the worker applies
them and delivers effects (``report_fulfillment`` with ``POST /fulfillments``
through :class:`~orderfsm.adapters.handlers.DrFulfilmentHandler`, the rest to
a JSON-lines sink). During the outage the receiver is stopped, DR's webhook
retries run out, and :func:`~orderfsm.service.reconcile.reconcile` reads
what was missed from ``GET /events``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from orderfsm.adapters.digitalriver.client import DrClient
from orderfsm.adapters.http import ReceiverConfig, create_app
from orderfsm.adapters.http.server import serving
from orderfsm.dispatch import HandlerRegistry
from orderfsm.dispatch.reports import DispatchReport
from orderfsm.fsm.items import ItemReport
from orderfsm.inbox import InboxReport
from orderfsm.persistence.database import utcnow
from orderfsm.samples.demo_dr import DEMO_ORDERS, DemoOrder, Shipping
from orderfsm.sandbox import RunningSandbox
from orderfsm.service import Engine
from orderfsm.service.reconcile import ReconcileReport, reconcile
from orderfsm.service.submission import SubmissionPolicy, SubmissionResult, submit_to_dr
from orderfsm.service.worker import WorkerConfig, run_worker
from orderfsm.service.worker_reports import EffectsPassed, InboxPassed

WEBHOOK_PATH = "/webhooks/digitalriver"
_SETTLE_PASSES = 20
_IDLE_WAIT_S = 10.0


@dataclass(slots=True)
class EffectTally:
    """Effect deliveries over every worker pass."""

    done: int = 0
    retried: int = 0
    dead: int = 0

    def add(self, report: DispatchReport) -> None:
        """Count one pass."""
        self.done += report.done
        self.retried += report.retried
        self.dead += report.dead

    def merge(self, other: EffectTally) -> None:
        """Count another tally."""
        self.done += other.done
        self.retried += other.retried
        self.dead += other.dead


@dataclass(slots=True)
class Conversation:
    """What the demo did with DR, for the printed summary and the checks."""

    submitted: list[tuple[DemoOrder, SubmissionResult]] = field(default_factory=list)
    inbox: InboxReport = field(default_factory=InboxReport)
    effects: EffectTally = field(default_factory=lambda: EffectTally())
    gave_up: list[str] = field(default_factory=list)
    """Types of the webhooks DR gave up on while the receiver was down."""
    reconciled: ReconcileReport | None = None


class Receiver:
    """The webhook receiver on one fixed port: stopped and started again for the outage."""

    def __init__(self, db_url: str, secret: str) -> None:
        self._config = ReceiverConfig(db_url, secrets=(secret,))
        self._stack = ExitStack()
        self._port = 0
        self.up = False

    def start(self) -> str:
        """Serve (again, on the same port); the base URL."""
        url = self._stack.enter_context(serving(create_app(self._config), port=self._port))
        self._port = int(url.rsplit(":", 1)[1])
        self.up = True
        return url

    def stop(self) -> None:
        """Stop serving: connections to the port are refused until :meth:`start`."""
        self._stack.close()
        self.up = False

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve until the block ends, whatever it started and stopped in between."""
        try:
            yield self.start()
        finally:
            self.stop()


def submit_all(
    engine: Engine, client: DrClient, sandbox: RunningSandbox, talk: Conversation
) -> None:
    """Make each demo order's checkout at the sandbox and submit it, with its fault first."""
    policy = SubmissionPolicy(backoff_initial_s=0.05, backoff_max_s=0.2)
    for order in DEMO_ORDERS:
        _control(
            sandbox,
            "checkouts",
            {
                "id": order.checkout_id,
                "scenario": order.scenario.value,
                "upstreamId": order.upstream_id,
            },
        )
        if order.fault:
            _control(sandbox, "faults", {"spec": order.fault})
        result = submit_to_dr(engine, client, order.upstream_id, order.checkout_id, policy=policy)
        talk.submitted.append((order, result))


def ship(engine: Engine, *, during_outage: bool) -> None:
    """Report what the shop shipped or cancelled: before the outage, or during it."""
    for order in DEMO_ORDERS:
        if order.shipping is Shipping.NOTHING:
            continue
        if order.shipping is Shipping.CANCEL_ALL:
            if not during_outage:
                engine.cancel_everything_open(order.upstream_id)
            continue
        items = engine.show(order.upstream_id).items
        first_part = order.shipping is Shipping.IN_TWO_PARTS and not during_outage
        if first_part:
            engine.report_fulfilment(order.upstream_id, [ItemReport(items[0].item_id, 1)])
        elif order.during_outage == during_outage:
            lines = [ItemReport(i.item_id, i.open) for i in items]
            engine.report_fulfilment(order.upstream_id, [x for x in lines if x.quantity])


def settle(
    engine: Engine, registry: HandlerRegistry, sandbox: RunningSandbox, talk: Conversation
) -> None:
    """Worker passes until DR has sent everything and nothing is left to apply or deliver."""
    for _ in range(_SETTLE_PASSES):
        wait_for_webhooks(sandbox)
        inbox, effects = worker_pass(engine, registry)
        talk.inbox.add(inbox)
        talk.effects.merge(effects)
        if not (inbox.claimed or effects.done or effects.retried):
            return


def worker_pass(engine: Engine, registry: HandlerRegistry) -> tuple[InboxReport, EffectTally]:
    """What ``orderfsm worker --once`` does, in this process: the inbox, then effects."""
    inbox, effects = InboxReport(), EffectTally()

    def keep(report: object) -> None:
        if isinstance(report, InboxPassed):
            inbox.add(report.report)
        elif isinstance(report, EffectsPassed):
            effects.add(report.report)

    run_worker(engine, registry, WorkerConfig(once=True), on_report=keep)
    return inbox, effects


def outage(
    engine: Engine,
    client: DrClient,
    registry: HandlerRegistry,
    sandbox: RunningSandbox,
    receiver: Receiver,
    talk: Conversation,
) -> None:
    """Stop the receiver, ship, let DR give up on the webhooks, start it, reconcile."""
    since = utcnow() - timedelta(minutes=5)
    receiver.stop()
    before = {d["eventId"] for d in _deliveries(sandbox) if not d["delivered"]}
    ship(engine, during_outage=True)
    # DR is up: the worker reports the fulfilments; their webhooks find nobody listening.
    talk.effects.merge(worker_pass(engine, registry)[1])
    wait_for_webhooks(sandbox)
    talk.gave_up = [
        d["type"] for d in _deliveries(sandbox) if not d["delivered"] and d["eventId"] not in before
    ]
    receiver.start()
    talk.reconciled = reconcile(engine, client, since=since)
    settle(engine, registry, sandbox, talk)


def wait_for_webhooks(sandbox: RunningSandbox) -> None:
    """Until the sandbox has sent (or given up on) every webhook it queued."""
    deadline = time.monotonic() + _IDLE_WAIT_S
    while not sandbox.app.state.webhooks.idle() and time.monotonic() < deadline:
        time.sleep(0.02)


def _deliveries(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    return [d.to_json() for d in list(sandbox.app.state.webhooks.deliveries)]


def _control(sandbox: RunningSandbox, path: str, body: dict[str, Any]) -> None:
    httpx.post(f"{sandbox.url}/_sandbox/{path}", json=body, timeout=10).raise_for_status()
