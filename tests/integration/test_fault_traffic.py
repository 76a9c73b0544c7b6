"""The fault run's traffic, applied in-process with no fault: what the fault run can expect.

The stream (shuffled within windows of orders, duplicated, the platform's
lines among the webhooks) is applied in its order by one engine and compared
with the reference (each order's history alone, in DR's order): the
lifecycle and DR's facts converge. The seed's stream has a blocked order whose
charge cancellation (DR time after the block) is applied before
``order.blocked``; each charge keeps its own DR time (orderfsm/fsm/rules.py
``absorb``), so the older ``order.blocked`` still brings its fraud state and
the other charge, and the newer cancellation is not rolled back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.faults.traffic import Delivery, build, final, reference
from bench.faults.verdict import DR_FACTS
from orderfsm.journal import apply_entry, read_entry
from orderfsm.service import Engine

EVENTS = 300
SEED = 3  # its stream has a charge cancellation overtaking order.blocked


def shuffled_and_reference(tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    load = build(EVENTS, SEED)
    expected = reference(load, tmp_path)
    with Engine.open(f"sqlite:///{tmp_path / 'stream.db'}", create_if_empty=True) as engine:
        for step in load.stream:
            line = step.body.decode() if isinstance(step, Delivery) else step.line
            apply_entry(engine, read_entry(line))
        got = {up: final(view) for up in load.histories if (view := engine.show(up))}
    return got, expected


def test_the_same_seed_gives_the_same_traffic_with_copies_and_platform_lines() -> None:
    first, again = build(EVENTS, SEED), build(EVENTS, SEED)
    assert first == again
    assert abs(len(first.event_ids) - EVENTS) <= EVENTS // 10  # about EVENTS
    assert first.deliveries > len(first.event_ids)
    assert first != build(EVENTS, SEED + 1)


def test_the_lifecycle_of_every_order_converges_on_the_reference(tmp_path: Path) -> None:
    got, expected = shuffled_and_reference(tmp_path)
    lifecycle = [k for k in next(iter(expected.values())) if k not in DR_FACTS]
    assert {up: {k: got[up][k] for k in lifecycle} for up in got} == {
        up: {k: expected[up][k] for k in lifecycle} for up in expected
    }


def test_dr_facts_of_every_order_converge_on_the_reference(tmp_path: Path) -> None:
    got, expected = shuffled_and_reference(tmp_path)
    assert got == expected
