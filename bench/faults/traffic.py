"""The fault run's traffic: orders, their webhooks shuffled and duplicated, and the reference.

The orders are the benchmarks' (:mod:`bench.workload`: the happy path,
webhooks overtaking the ``POST /orders`` answer, a fraud block, an event
before the platform's own order). Their journal lines become a *stream*:

* each webhook event is delivered once, twice (40%) or three times (10%);
  a quarter of the extra copies are sent at the same moment as the first
  (adjacent in the stream, so two senders post them concurrently);
* the stream is shuffled within windows of a few orders, so one order's
  events overtake each other and race in different processes;
* the platform's own lines (``submit``, the ``POST /orders`` answer) keep
  their order among themselves and are applied by the driver, not posted.

The reference is each order's lines applied alone, in DR's order, by one
engine on a fresh SQLite file, with no fault.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.workload import LINES_PER_ORDER, is_event, order_lines
from orderfsm.journal import apply_entry, read_entry
from orderfsm.persistence.records import OrderView
from orderfsm.service import Engine

WINDOW_ORDERS = 4
"""Orders whose lines are shuffled together."""
DUPLICATE_RATE = 0.4
TRIPLICATE_RATE = 0.1
CONCURRENT_COPY_RATE = 0.25


@dataclass(frozen=True, slots=True)
class Delivery:
    """One POST of a webhook event (a copy of another delivery has the same body)."""

    event_id: str
    body: bytes


@dataclass(frozen=True, slots=True)
class PlatformLine:
    """A journal line the platform itself records (a submit or a ``POST /orders`` answer)."""

    upstream_id: str
    line: str


Step = Delivery | PlatformLine


@dataclass(frozen=True, slots=True)
class Traffic:
    """Every order's history in DR's order, and the stream the fault run sends."""

    histories: dict[str, list[dict[str, Any]]]
    stream: list[Step]

    @property
    def event_ids(self) -> set[str]:
        """The distinct webhook event ids."""
        return {s.event_id for s in self.stream if isinstance(s, Delivery)}

    @property
    def deliveries(self) -> int:
        """How many webhook deliveries the stream holds (copies included)."""
        return sum(1 for s in self.stream if isinstance(s, Delivery))


def orders_for(events: int) -> int:
    """How many orders give about ``events`` distinct webhook events."""
    distinct_per_order = LINES_PER_ORDER - 3  # a submit, an answer, a duplicate
    return max(1, -(-events // distinct_per_order))


def build(events: int, seed: int) -> Traffic:
    """The traffic of about ``events`` distinct events, the same for the same seed."""
    rng = random.Random(seed)
    histories: dict[str, list[dict[str, Any]]] = {}
    stream: list[Step] = []
    orders = orders_for(events)
    for first in range(0, orders, WINDOW_ORDERS):
        window: list[Step] = []
        platform: list[PlatformLine] = []
        for n in range(first, min(first + WINDOW_ORDERS, orders)):
            lines = [timed.line for timed in order_lines(n)]
            upstream_id = _upstream_id(lines)
            histories[upstream_id] = lines
            platform += [
                PlatformLine(upstream_id, json.dumps(line)) for line in lines if not is_event(line)
            ]
            window += _copies(_distinct_events(lines), rng)
        rng.shuffle(window)
        stream += _merge_in_order(window, platform, rng)
    return Traffic(histories, stream)


def _upstream_id(lines: list[dict[str, Any]]) -> str:
    return next(str(line["upstreamId"]) for line in lines if line.get("kind") == "submit")


def _distinct_events(lines: list[dict[str, Any]]) -> list[Delivery]:
    seen: dict[str, Delivery] = {}
    for line in lines:
        if is_event(line):
            seen.setdefault(str(line["id"]), Delivery(str(line["id"]), json.dumps(line).encode()))
    return list(seen.values())


def _copies(events: list[Delivery], rng: random.Random) -> list[Step]:
    """Each event once or more; a concurrent copy stays next to its first delivery."""
    steps: list[Step] = []
    for event in events:
        extra = 2 if rng.random() < TRIPLICATE_RATE else 1 if rng.random() < DUPLICATE_RATE else 0
        together = [event]
        for _ in range(extra):
            if rng.random() < CONCURRENT_COPY_RATE:
                together.append(event)
            else:
                steps.append(event)
        steps.append(_Together(tuple(together)) if len(together) > 1 else event)
    return steps


@dataclass(frozen=True, slots=True)
class _Together:
    copies: tuple[Delivery, ...]


def _merge_in_order(
    window: list[Any], platform: list[PlatformLine], rng: random.Random
) -> list[Step]:
    """The shuffled window with the platform's lines at random places, in their own order."""
    flat: list[Step] = []
    for step in window:
        flat += step.copies if isinstance(step, _Together) else [step]
    places = sorted(rng.randrange(len(flat) + 1) for _ in platform)
    merged: list[Step] = []
    previous = 0
    for place, line in zip(places, platform, strict=True):
        merged += flat[previous:place]
        merged.append(line)
        previous = place
    return merged + flat[previous:]


def final(view: OrderView) -> dict[str, Any]:
    """What must be the same after the fault run as in the reference."""
    return {
        "state": view.state,
        "disputed": view.disputed,
        "fraud_state": view.fraud_state,
        "dr_order_id": view.order_id,
        "charges": sorted((str(c.get("id")), str(c.get("state"))) for c in view.charges),
        "effects": sorted(e.key for e in view.effects),
    }


def reference(traffic: Traffic, folder: Path) -> dict[str, dict[str, Any]]:
    """Each order's end state when its history is applied alone, in DR's order, fault-free."""
    url = f"sqlite:///{folder / 'reference.db'}"
    with Engine.open(url, create_if_empty=True) as engine:
        for lines in traffic.histories.values():
            for line in lines:
                apply_entry(engine, read_entry(json.dumps(line)))
        return {upstream_id: final(engine.show(upstream_id)) for upstream_id in traffic.histories}
