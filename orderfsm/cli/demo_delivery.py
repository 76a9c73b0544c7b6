"""The demo's traffic: platform steps through the engine, DR's events over real HTTP.

A journal line with a ``kind`` (``submit``, ``create_order_response``) is what
the platform itself does, so it goes straight to the engine. Every other line
is a DR event: it is signed and POSTed to the running receiver, which only
stores it. The worker keeps up with the receiver: before each platform step
the inbox is applied, so the journal's delivery order is what the engine sees.

On top of the journal come the deliveries a real endpoint also gets: a burst
of concurrent duplicates, a forged event (wrong secret) and a truncated body.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from orderfsm.adapters.digitalriver import SIGNATURE_HEADER, sign
from orderfsm.fsm.outcomes import NOT_RELEVANT
from orderfsm.inbox import InboxReport, drain_inbox
from orderfsm.journal import apply_entry, read_entry
from orderfsm.service import Engine

BURST = 5
"""How many copies of one event the concurrent-duplicates burst sends at once."""
MALFORMED_BODY = b'{"id": "evt-demo-truncated", "type": "order.accepted", "data": {"obj'


@dataclass(frozen=True, slots=True)
class Answer:
    """What the receiver answered to one delivery."""

    what: str
    status: int
    body: dict[str, Any]

    @property
    def summary(self) -> str:
        """``202 stored``, ``401 signature: no matching signature``, ``400 payload: ...``."""
        if self.status == 202:
            return f"202 {self.body.get('status')}"
        reason = self.body.get("check") or self.body.get("detail") or ""
        return f"{self.status} {self.body.get('error')}: {reason}"


@dataclass(slots=True)
class Traffic:
    """Everything the demo sent and what became of it."""

    answers: list[Answer] = field(default_factory=list)
    platform: Counter[str] = field(default_factory=Counter)
    inbox: InboxReport = field(default_factory=InboxReport)


def signed_post(client: httpx.Client, url: str, body: bytes, secret: str) -> httpx.Response:
    """POST ``body`` the way DR does: JSON, signed now with ``secret``."""
    headers = {
        SIGNATURE_HEADER: sign(body, secret, int(time.time())),
        "content-type": "application/json",
    }
    return client.post(url, content=body, headers=headers)


def deliver_journal(
    engine: Engine, client: httpx.Client, url: str, secret: str, lines: Iterable[dict[str, Any]]
) -> Traffic:
    """Play the journal: platform lines through the engine, DR events over HTTP."""
    traffic = Traffic()
    for line in lines:
        if "kind" in line:
            traffic.inbox.add(drain_inbox(engine))
            result = apply_entry(engine, read_entry(json.dumps(line)))
            traffic.platform[result.outcome.value if result.outcome else NOT_RELEVANT] += 1
            continue
        answer = signed_post(client, url, json.dumps(line).encode(), secret)
        traffic.answers.append(Answer(str(line["type"]), answer.status_code, answer.json()))
    return traffic


def deliver_troublemakers(
    client: httpx.Client, url: str, secret: str, lines: list[dict[str, Any]], traffic: Traffic
) -> None:
    """Concurrent duplicates, a forged event and a truncated body, as a live endpoint sees them."""
    events = [line for line in lines if "kind" not in line]
    accepted = next(e for e in events if e["type"] == "order.accepted")
    body = json.dumps(accepted).encode()
    with ThreadPoolExecutor(BURST) as pool:
        burst = list(pool.map(lambda _: signed_post(client, url, body, secret), range(BURST)))
    traffic.answers += [Answer("order.accepted (burst)", a.status_code, a.json()) for a in burst]

    forged = {**accepted, "id": "evt-demo-forged", "type": "order.cancelled"}
    wrong_secret = "whsec_" + secrets.token_urlsafe(12)
    answer = signed_post(client, url, json.dumps(forged).encode(), wrong_secret)
    traffic.answers.append(Answer("forged order.cancelled", answer.status_code, answer.json()))

    answer = signed_post(client, url, MALFORMED_BODY, secret)
    traffic.answers.append(Answer("truncated body", answer.status_code, answer.json()))
