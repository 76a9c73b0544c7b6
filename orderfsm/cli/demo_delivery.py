"""The demo's troublemakers: deliveries a live endpoint gets that DR did not send.

On top of the sandbox's own webhooks, the receiver gets a burst of
concurrent copies of one event, a forged event (wrong secret) and a
truncated body, each signed and POSTed over real HTTP like DR's.
"""

from __future__ import annotations

import json
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from orderfsm.adapters.digitalriver import SIGNATURE_HEADER, sign

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
    """What the demo's own deliveries got as answers."""

    answers: list[Answer] = field(default_factory=list)


def signed_post(client: httpx.Client, url: str, body: bytes, secret: str) -> httpx.Response:
    """POST ``body`` the way DR does: JSON, signed now with ``secret``."""
    headers = {
        SIGNATURE_HEADER: sign(body, secret, int(time.time())),
        "content-type": "application/json",
    }
    return client.post(url, content=body, headers=headers)


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
