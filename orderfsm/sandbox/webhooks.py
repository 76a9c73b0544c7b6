"""Signed webhook deliveries from a background thread, with bounded retries and faults.

Each event is POSTed as DR does: JSON body, ``DigitalRiver-Signature``
(:func:`orderfsm.adapters.digitalriver.sign`), any 2xx acknowledges; other
answers and connection errors are retried ``webhook_attempts`` times with
doubling waits. Faults drop, duplicate or swap deliveries.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from orderfsm.adapters.digitalriver.signature import SIGNATURE_HEADER, sign
from orderfsm.sandbox.config import SandboxConfig
from orderfsm.sandbox.faults import FaultPlan

_REORDER_HOLD_S = 0.5
"""How long an event waits for a later one to overtake it before it goes alone."""

_STOP = object()


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of one webhook: event id and type, attempts, last status (None: no answer)."""

    event_id: str
    event_type: str
    attempts: int
    status: int | None
    delivered: bool

    def to_json(self) -> dict[str, Any]:
        """The control API's view of a delivery."""
        return {
            "eventId": self.event_id,
            "type": self.event_type,
            "attempts": self.attempts,
            "status": self.status,
            "delivered": self.delivered,
        }


class WebhookSender:
    """Delivers queued events to the configured URL, one at a time, in a daemon thread."""

    def __init__(self, config: SandboxConfig, faults: FaultPlan) -> None:
        self._config = config
        self._faults = faults
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.deliveries: list[Delivery] = []
        self.dropped: list[str] = []

    @property
    def enabled(self) -> bool:
        """Whether a webhook URL is configured."""
        return self._config.webhook_url is not None

    def start(self) -> None:
        """Start the delivery thread (once)."""
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Deliver what is queued, then stop the thread."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout_s)
            self._thread = None

    def enqueue(self, event: dict[str, Any]) -> None:
        """Queue one event for delivery (a no-op without a webhook URL)."""
        if self.enabled:
            self._queue.put(event)

    def idle(self) -> bool:
        """Nothing queued or held (deliveries in flight may still be running)."""
        return self._queue.unfinished_tasks == 0

    def _run(self) -> None:
        held: dict[str, Any] | None = None
        with httpx.Client(timeout=10.0) as http:
            while True:
                try:
                    item = self._queue.get(timeout=_REORDER_HOLD_S if held else None)
                except queue.Empty:
                    assert held is not None
                    self._deliver(http, held)
                    held = None
                    self._queue.task_done()
                    continue
                if item is _STOP:
                    if held is not None:
                        self._deliver(http, held)
                        self._queue.task_done()
                    self._queue.task_done()
                    return
                assert isinstance(item, dict)
                if held is not None:
                    # The later event overtakes the held one: a swapped pair.
                    self._deliver(http, item)
                    self._deliver(http, held)
                    held = None
                    self._queue.task_done()
                    self._queue.task_done()
                elif self._faults.reorder:
                    held = item
                else:
                    self._deliver(http, item)
                    self._queue.task_done()

    def _deliver(self, http: httpx.Client, event: dict[str, Any]) -> None:
        if self._faults.take("drop_webhooks"):
            with self._lock:
                self.dropped.append(event["id"])
            return
        copies = 2 if self._faults.take("duplicate_webhooks") else 1
        for _ in range(copies):
            self._send(http, event)

    def _send(self, http: httpx.Client, event: dict[str, Any]) -> None:
        url, secret = self._config.webhook_url, self._config.webhook_secret
        assert url is not None and secret is not None
        body = json.dumps(event, separators=(",", ":")).encode()
        status: int | None = None
        attempts = 0
        delivered = False
        wait = self._config.webhook_backoff_s
        while attempts < self._config.webhook_attempts and not delivered:
            if attempts:
                time.sleep(wait)
                wait *= 2
            attempts += 1
            # Each retry is signed afresh, as DR's are: new timestamp, new signature.
            headers = {
                "content-type": "application/json",
                SIGNATURE_HEADER: sign(body, secret, int(time.time())),
            }
            try:
                status = http.post(url, content=body, headers=headers).status_code
            except httpx.HTTPError:
                status = None
            delivered = status is not None and 200 <= status < 300
        with self._lock:
            self.deliveries.append(
                Delivery(event["id"], event["type"], attempts, status, delivered)
            )
