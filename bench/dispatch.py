"""Benchmark 1: firing triggers in memory, and what an order costs in memory.

Three ways fire the same lifecycle table on plain order objects:

* the facade: :meth:`LifecycleMachine.fire` (typed, returns Applied/Refused
  with effect intents);
* the facade's own ``transitions.Machine`` (``LifecycleMachine.raw``) fired
  directly, ``raw.events[name].trigger(order, firing)``: what the facade adds
  on top of the very machine it drives;
* raw ``transitions`` as a user would write it: one ``Machine(model=None)``
  built from ``LIFECYCLE`` with the guards as plain boolean conditions, fired
  through ``machine.events[name].trigger(order, facts)``;
* the floor: a dict ``(state, trigger) -> edges`` with the same guards.

Memory: bytes per :class:`InMemoryOrder` (tracemalloc), against what
``transitions`` costs per model with ``add_model``; and the per-trigger cost
with 1k and 100k live orders (it must not grow).
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from transitions import Machine

from bench.harness import Report, cpu_timed, ratios
from orderfsm.fsm.firing import Firing  # what the facade hands its conditions
from orderfsm.fsm.guards import Guard
from orderfsm.fsm.lifecycle import LIFECYCLE
from orderfsm.fsm.machine import InMemoryOrder, LifecycleMachine
from orderfsm.fsm.signals import ChargeFact, Facts
from orderfsm.fsm.states import OrderState, Trigger

PATH = (
    Trigger.OPEN_REVIEW,
    Trigger.ACCEPT,
    Trigger.RECORD_FULFILLMENT,
    Trigger.FULFIL,
    Trigger.RECORD_CHARGE_CAPTURED,
    Trigger.COMPLETE,
)
"""The triggers every order goes through: guarded, internal and plain edges."""

FACTS = Facts(
    dr_state="accepted",
    fraud_state="passed",
    charges=(ChargeFact("ch-1", "capturable"), ChargeFact("ch-2", "complete")),
)
"""Facts under which every edge of :data:`PATH` passes its guards."""


@dataclass(frozen=True, slots=True)
class DispatchSizes:
    """How much work benchmark 1 does."""

    orders: int = 3_000
    repeat: int = 21
    small: int = 1_000
    large: int = 100_000
    add_model_orders: int = 2_000
    memory_repeat: int = 3


class PlainOrder:
    """What raw ``transitions`` fires on: an object with a ``state`` attribute."""

    __slots__ = ("disputed", "state")

    def __init__(self) -> None:
        self.state = OrderState.SUBMITTED
        self.disputed = False


def _passes(guard: Guard) -> Callable[[Facts], bool]:
    def condition(facts: Facts) -> bool:
        return guard.check(facts).passed

    return condition


def raw_machine() -> Machine:
    """``LIFECYCLE`` as a plain ``transitions.Machine`` (what a user would write)."""
    return Machine(
        model=None,
        states=[spec.state for spec in LIFECYCLE.states],
        initial=LIFECYCLE.initial_states[0],
        transitions=[
            {
                "trigger": edge.trigger.value,
                "source": edge.source,
                "dest": edge.dest,
                "conditions": [_passes(g) for g in edge.guards],
            }
            for edge in LIFECYCLE.edges()
        ],
        auto_transitions=False,
        send_event=False,
    )


Floor = dict[tuple[OrderState, Trigger], tuple[tuple[OrderState | None, tuple[Guard, ...]], ...]]


def floor_table() -> Floor:
    """``LIFECYCLE`` as a dict of edges: the least any dispatcher can do."""
    table: dict[
        tuple[OrderState, Trigger], tuple[tuple[OrderState | None, tuple[Guard, ...]], ...]
    ] = {}
    for edge in LIFECYCLE.edges():
        key = (edge.source, edge.trigger)
        table[key] = (*table.get(key, ()), (edge.dest, edge.guards))
    return table


def fire_floor(table: Floor, order: PlainOrder, trigger: Trigger, facts: Facts) -> bool:
    """Fire one trigger through the dict table; False when no edge's guards pass."""
    for dest, guards in table.get((order.state, trigger), ()):
        if all(g.check(facts).passed for g in guards):
            if dest is not None:
                order.state = dest
            return True
    return False


def run_facade(machine: LifecycleMachine, orders: Sequence[InMemoryOrder]) -> None:
    """Every order through :data:`PATH` with the facade."""
    fire = machine.fire
    for order in orders:
        for trigger in PATH:
            fire(order, trigger, FACTS)


def run_raw(machine: Machine, orders: Sequence[PlainOrder]) -> None:
    """Every order through :data:`PATH` with raw ``transitions``."""
    events = [machine.events[t.value] for t in PATH]
    for order in orders:
        for event in events:
            event.trigger(order, FACTS)


def run_underlying(machine: LifecycleMachine, orders: Sequence[InMemoryOrder]) -> None:
    """Every order through :data:`PATH` on the facade's own machine, without the facade."""
    events = [machine.raw.events[t.value] for t in PATH]
    for order in orders:
        for event in events:
            event.trigger(order, Firing(FACTS))


def run_floor(table: Floor, orders: Sequence[PlainOrder]) -> None:
    """Every order through :data:`PATH` with the dict table."""
    for order in orders:
        for trigger in PATH:
            fire_floor(table, order, trigger, FACTS)


def check_same_outcome(machine: LifecycleMachine, raw: Machine, table: Floor) -> None:
    """All three ways end in the same state (else the comparison is meaningless)."""
    a, b, c, d = InMemoryOrder(), InMemoryOrder(), PlainOrder(), PlainOrder()
    run_facade(machine, [a])
    run_underlying(machine, [b])
    run_raw(raw, [c])
    run_floor(table, [d])
    states = {a.state, b.state, c.state, d.state}
    if states != {OrderState.COMPLETE}:
        raise AssertionError(f"dispatchers disagree: {a.state}, {b.state}, {c.state}, {d.state}")


def per_trigger_seconds(run: Callable[[], None], orders: int) -> float:
    """CPU seconds per trigger of one run over ``orders`` orders."""
    return cpu_timed(run) / (orders * len(PATH))


def bytes_per_object(make: Callable[[], Any], count: int) -> float:
    """Bytes tracemalloc sees allocated per object when ``count`` are kept alive."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [make() for _ in range(count)]
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # The list holding them is not the orders' cost.
    list_bytes = kept.__sizeof__()
    return (after - before - list_bytes) / count


class AddedModel:
    """A model ``add_model`` can bind its methods to (it needs a ``__dict__``)."""

    def __init__(self) -> None:
        self.disputed = False


def bytes_per_added_model(count: int) -> float:
    """Bytes per model that ``transitions`` allocates with ``add_model``.

    The model's own empty object is created before measuring, so this is what
    the machine adds: bound trigger and ``is_<state>`` methods, and its books.
    """
    machine = raw_machine()
    models = [AddedModel() for _ in range(count)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for model in models:
            machine.add_model(model)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return (after - before) / count


def dispatch_report(sizes: DispatchSizes = DispatchSizes()) -> Report:
    """Benchmark 1, timing: facade vs raw transitions vs dict floor, per trigger."""
    machine = LifecycleMachine()
    raw = raw_machine()
    table = floor_table()
    check_same_outcome(machine, raw, table)
    facade_s: list[float] = []
    underlying_s: list[float] = []
    raw_s: list[float] = []
    floor_s: list[float] = []
    n = sizes.orders
    for rep in range(sizes.repeat):
        runs = [
            (facade_s, partial(run_facade, machine, [InMemoryOrder() for _ in range(n)])),
            (underlying_s, partial(run_underlying, machine, [InMemoryOrder() for _ in range(n)])),
            (raw_s, partial(run_raw, raw, [PlainOrder() for _ in range(n)])),
            (floor_s, partial(run_floor, table, [PlainOrder() for _ in range(n)])),
        ]
        # Alternate who goes first, so a drift of the machine favours no one.
        for samples, run in runs if rep % 2 == 0 else reversed(runs):
            samples.append(per_trigger_seconds(run, n))
    report = Report(f"1. dispatch in memory ({n:,} orders x {len(PATH)} triggers)")
    report.notes.append("times are CPU time of this process (others' load does not count)")
    report.add("facade fire", "us/trigger", [s * 1e6 for s in facade_s])
    report.add("facade's machine, fired raw", "us/trigger", [s * 1e6 for s in underlying_s])
    report.add("raw transitions trigger", "us/trigger", [s * 1e6 for s in raw_s])
    report.add("dict table (floor)", "us/trigger", [s * 1e6 for s in floor_s])
    report.add("facade / raw transitions", "x", ratios(facade_s, raw_s), target=1.25)
    report.add("facade / its machine fired raw", "x", ratios(facade_s, underlying_s), target=1.25)
    report.add("raw transitions / floor", "x", ratios(raw_s, floor_s))
    report.add("facade / floor", "x", ratios(facade_s, floor_s))
    return report


def population_seconds(machine: LifecycleMachine, live: int, total: int) -> float:
    """Seconds per trigger firing ``total`` orders through :data:`PATH`, ``live`` at a time.

    Both populations do the same work; only how many orders exist at once
    differs, so a per-order cost that grew with the population would show.
    """
    rounds = max(total // live, 1)
    populations = [[InMemoryOrder() for _ in range(live)] for _ in range(rounds)]

    def fire_all() -> None:
        for orders in populations:
            run_facade(machine, orders)

    return per_trigger_seconds(fire_all, rounds * live)


def memory_report(sizes: DispatchSizes = DispatchSizes()) -> Report:
    """Benchmark 1, memory: bytes per order, and no growth from 1k to 100k orders."""
    machine = LifecycleMachine()
    report = Report("1b. memory per order, and cost with many live orders")
    # Allocation counts do not vary from run to run: one sample each is enough.
    small = [bytes_per_object(InMemoryOrder, sizes.small)]
    large = [bytes_per_object(InMemoryOrder, sizes.large)]
    added = [bytes_per_added_model(sizes.add_model_orders)]
    report.add(f"InMemoryOrder, {sizes.small:,} live", "bytes/order", small, target=2048)
    report.add(f"InMemoryOrder, {sizes.large:,} live", "bytes/order", large, target=2048)
    report.add(f"transitions add_model, {sizes.add_model_orders:,} models", "bytes/model", added)
    report.add("add_model / InMemoryOrder", "x", ratios(added, large))
    few: list[float] = []
    many: list[float] = []
    for _ in range(sizes.memory_repeat):
        few.append(population_seconds(machine, sizes.small, sizes.large))
        many.append(population_seconds(machine, sizes.large, sizes.large))
    report.add(f"fire with {sizes.small:,} live orders", "us/trigger", [s * 1e6 for s in few])
    report.add(f"fire with {sizes.large:,} live orders", "us/trigger", [s * 1e6 for s in many])
    report.add(
        f"per-trigger cost {sizes.large:,} / {sizes.small:,} orders",
        "x",
        ratios(many, few),
        target=1.25,
    )
    report.notes.append(
        "the machine keeps no per-order state: an order is its own object (state + dispute "
        "flag); transitions' add_model binds a trigger method per event to every model"
    )
    return report
