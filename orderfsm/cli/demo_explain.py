"""The demo's explanations: what waited, what did not fire and why, what the worker did.

Printed after the tables of :mod:`orderfsm.cli.demo_flow`, so that a
newcomer can follow the run without reading the code. Every fact comes from
the database and the lifecycle table, never from the demo's own script.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rich.console import Console

from orderfsm.cli.text import plain
from orderfsm.fsm.lifecycle import LIFECYCLE
from orderfsm.fsm.outcomes import NOT_RELEVANT, Outcome
from orderfsm.inbox import InboxReport
from orderfsm.persistence import OrderView
from orderfsm.persistence import inbox as store
from orderfsm.persistence.parked_list import count_parked
from orderfsm.service import Engine

if TYPE_CHECKING:
    from orderfsm.cli.demo_dr import Conversation, EffectTally


def explain_dr(
    console: Console,
    talk: Conversation,
    deliveries: list[dict[str, Any]],
    fulfilments: list[dict[str, Any]],
    engine: Engine,
) -> None:
    """DR's side: webhooks sent, given up on during the outage, reconciled; fulfilments held."""
    delivered = [d for d in deliveries if d["delivered"]]
    sent = Counter(d["eventId"] for d in delivered)
    twice = [d for d in delivered if sent[d["eventId"]] > 1]
    console.print(
        plain(
            f"webhooks: DR made {len(deliveries)} deliveries, {len(delivered)} acknowledged, "
            f"{len(deliveries) - len(delivered)} given up on"
        )
    )
    if twice:
        console.print(
            plain(
                f"duplicate webhook: one {twice[0]['type']} came {sent[twice[0]['eventId']]} "
                "times; the inbox kept it once"
            )
        )
    report = talk.reconciled
    if report is not None:
        console.print(
            plain(
                f"receiver down: {len(talk.gave_up)} webhooks DR gave up on; reconcile "
                f"fetched {report.fetched}, new {report.new}, applied {report.applied}"
            )
        )
        for line in textwrap.wrap(f"missed: {_kinds(talk.gave_up)}", 76):
            console.print(plain(f"  {line}"))
    held: Counter[str] = Counter()
    for fulfilment in fulfilments:
        for line in fulfilment["items"]:
            held[line["itemId"]] += line["quantity"] + line["cancelQuantity"]
    reported: Counter[str] = Counter()
    for view in engine.orders():
        for item in view.items:
            reported[item.item_id] += item.fulfilled + item.cancelled
    same = "the same as" if +held == +reported else "NOT the same as"
    console.print(
        plain(
            f"fulfilments DR holds: {len(fulfilments)} ({sum(held.values())} units), "
            f"{same} the shop reported"
        )
    )


def _kinds(types: list[str]) -> str:
    return ", ".join(f"{n} {name}" for name, n in sorted(Counter(types).items()))


def explain_inbox(console: Console, delivered: InboxReport, reconciled: int) -> None:
    """The inbox as the worker applied it, over every pass, and what reconcile applied."""
    counts = ", ".join(f"{count} {name}" for name, count in sorted(delivered.outcomes.items()))
    console.print(
        plain(f"inbox: the worker applied {delivered.applied} ({counts}), reconcile {reconciled}")
    )


def explain_worker(console: Console, engine: Engine, effects: EffectTally) -> None:
    """What the worker delivered, and what stands in the inbox and outbox now."""
    with engine.db.connect() as connection:
        backlog = store.backlog(connection)
    console.print(
        plain(
            f"worker: effects {effects.done} done, {effects.retried} retried, {effects.dead} dead"
        )
    )
    for name, counts in (("inbox", backlog.inbox), ("outbox", backlog.outbox)):
        listed = ", ".join(f"{status} {count}" for status, count in counts.items())
        console.print(plain(f"{name} now: {listed}"))


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
            f"parked: {len(parked)} event(s) came before their order; "
            f"{still} still wait (orderfsm parked)"
        )
    )
    for entry in reversed(parked):
        order = json.loads(entry.body).get("data", {}).get("object", {})
        console.print(
            plain(
                f"  {entry.event_type} waited for DR order {order.get('id')} / checkout "
                f"{order.get('checkoutId')} ({order.get('upstreamId')}): applied once the "
                "platform recorded that order"
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
