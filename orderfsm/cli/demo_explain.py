"""The demo's explanations: what waited, what did not fire and why, what the worker did.

Printed after the tables of :mod:`orderfsm.cli.demo_flow`, so that a
newcomer can follow the run without reading the code. Every fact comes from
the database and the lifecycle table, never from the demo's own script.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from rich.console import Console

from orderfsm.cli.text import plain
from orderfsm.fsm.lifecycle import LIFECYCLE
from orderfsm.fsm.outcomes import NOT_RELEVANT, Outcome
from orderfsm.inbox import InboxReport
from orderfsm.persistence import OrderView
from orderfsm.persistence import inbox as store
from orderfsm.persistence.parked_list import count_parked
from orderfsm.service import Engine


def explain_inbox(console: Console, delivered: InboxReport) -> None:
    """The inbox as applied while delivering: every stored event went through then."""
    counts = ", ".join(f"{count} {name}" for name, count in sorted(delivered.outcomes.items()))
    console.print(
        plain(
            f"inbox while delivering: {delivered.applied} applied ({counts}), "
            f"{delivered.retried} to retry, {delivered.dead} dead; the demo applies the inbox "
            "before each platform step, so the engine sees the journal's order"
        )
    )


def explain_worker(console: Console, engine: Engine) -> None:
    """Why the worker found no inbox work, and what stands in the inbox now."""
    with engine.db.connect() as connection:
        counts = store.backlog(connection).inbox
    console.print(
        plain(
            "worker: nothing left to apply in the inbox (all applied above); "
            + "inbox now: "
            + ", ".join(f"{name} {count}" for name, count in counts.items())
        )
    )


def explain_parked(console: Console, engine: Engine) -> None:
    """Events that arrived before their order: what each waited for, and whether it still does."""
    parked = [
        entry
        for entry in store.entries(engine.db, limit=10_000)
        if entry.outcome == Outcome.PARKED.value
    ]
    still = count_parked(engine.db)
    console.print(
        plain(
            f"parked: {len(parked)} event(s) arrived before their order was known; "
            f"{still} still wait (orderfsm parked lists them)"
        )
    )
    for entry in reversed(parked):
        order = json.loads(entry.body).get("data", {}).get("object", {})
        console.print(
            plain(
                f"  {entry.event_type} waited for DR order {order.get('id')} / checkout "
                f"{order.get('checkoutId')} ({order.get('upstreamId')}): applied when the "
                "platform submitted that order"
            )
        )
    irrelevant = [e for e in store.entries(engine.db, limit=10_000) if e.outcome == NOT_RELEVANT]
    for entry in irrelevant:
        console.print(
            plain(
                f"not relevant: {entry.event_type} (event {entry.event_id}) is no order event; "
                "acknowledged and recorded, no order made"
            )
        )


def unfired_effects(view: OrderView) -> Iterator[str]:
    """Each conditional effect of a state the order entered that did not fire, and its condition."""
    fired = {effect.type for effect in view.effects}
    entered = [
        h.to_state
        for h in view.history
        if h.outcome == Outcome.APPLIED and h.to_state is not None and h.to_state != h.from_state
    ]
    for state in dict.fromkeys(entered):
        for spec in LIFECYCLE.spec(state).on_enter:
            if spec.when is not None and spec.name.value not in fired:
                yield (
                    f"{view.upstream_id} entered {state.value}: {spec.name.value} did not fire, "
                    f"its condition '{spec.when.name}' did not hold for the DR order it "
                    "entered with"
                )


def explain_effects(console: Console, views: list[OrderView]) -> None:
    """Print the conditional effects that did not fire, order by order."""
    lines = [line for view in views for line in unfired_effects(view)]
    console.print(plain(f"conditional effects that did not fire: {len(lines)}"))
    for line in lines:
        console.print(plain(f"  {line}"))
