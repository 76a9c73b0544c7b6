"""DR's side of the fault run: signed deliveries, retried until a receiver answers 2xx.

A delivery goes to a random receiver; a refused connection, a timeout or any
answer but 2xx is retried after a short pause on another receiver, as DR
retries, until its deadline. Signatures are made when a request is sent
(DR signs each attempt anew). Counts are kept per event id.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

from bench.faults.fleet import SECRET, Receiver
from bench.faults.traffic import Delivery
from orderfsm.adapters.digitalriver import SIGNATURE_HEADER, sign

REQUEST_TIMEOUT_S = 10.0
RETRY_PAUSE_S = (0.02, 0.3)


@dataclass
class Tally:
    """What the senders saw, shared by their threads."""

    posts: int = 0
    answered_2xx: int = 0
    other_answers: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    answered: set[str] = field(default_factory=set)
    gave_up: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def client(senders: int) -> httpx.Client:
    """One HTTP client for every sender thread (httpx's client is thread-safe)."""
    limits = httpx.Limits(max_connections=senders * 2, max_keepalive_connections=senders * 2)
    return httpx.Client(timeout=REQUEST_TIMEOUT_S, limits=limits)


def deliver(
    http: httpx.Client,
    delivery: Delivery,
    receivers: Sequence[Receiver],
    tally: Tally,
    *,
    deadline: float,
    rng: Callable[[], float] = random.random,
) -> None:
    """POST ``delivery`` until some receiver answers 2xx or ``deadline`` (monotonic) passes.

    The first receiver is drawn at random; after a failure the next one is tried.
    """
    turn = int(rng() * len(receivers))
    while time.monotonic() < deadline:
        receiver = receivers[turn % len(receivers)]
        turn += 1
        headers = {
            SIGNATURE_HEADER: sign(delivery.body, SECRET, int(time.time())),
            "content-type": "application/json",
        }
        try:
            answer = http.post(receiver.url, content=delivery.body, headers=headers)
        except httpx.HTTPError:
            with tally.lock:
                tally.posts += 1
                tally.transport_errors += 1
        else:
            with tally.lock:
                tally.posts += 1
                if 200 <= answer.status_code < 300:
                    tally.answered_2xx += 1
                    tally.answered.add(delivery.event_id)
                    return
                tally.other_answers[answer.status_code] += 1
        low, high = RETRY_PAUSE_S
        time.sleep(low + (high - low) * rng())
    with tally.lock:
        tally.gave_up.add(delivery.event_id)
