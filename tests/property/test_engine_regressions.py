"""Engine disagreements with DR that the property harness found, pinned as examples.

Each test replays the shrunk counterexample: one DR history (a plan of the
model in ``orderfsm.testing``) delivered in one order, on a SQLite file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from orderfsm.journal import apply_entry, read_entry
from orderfsm.service import Engine
from orderfsm.testing.expectations import expected_disputed, expected_final_state
from orderfsm.testing.history import build_history
from orderfsm.testing.model import DrStep, HistoryPlan, OrderShape

D = DrStep


def deliver(engine: Engine, plan: HistoryPlan, order: Sequence[int]) -> tuple[str, bool]:
    """Deliver the history's lines (indexes into DR's order); the order's state and flag."""
    history = build_history(plan)
    lines = history.in_dr_order()
    assert sorted(order) == list(range(len(lines))), "deliver each line once"
    for index in order:
        apply_entry(engine, read_entry(json.dumps(lines[index].line)))
    view = engine.show(history.upstream_id)
    return view.state, view.disputed


def test_a_dispute_delivered_before_acceptance_still_sets_the_flag(engine: Engine) -> None:
    # DR: 201 accepted, order.accepted, order.fulfilled, order.complete, order.dispute.
    plan = HistoryPlan(steps=(D.FULFIL, D.COMPLETE, D.OPEN_DISPUTE))
    # Delivered: submit, order.dispute, then the rest in DR's order.
    state, disputed = deliver(engine, plan, [0, 5, 1, 2, 3, 4])

    assert (state, disputed) == (expected_final_state(plan), expected_disputed(plan))
    assert (state, disputed) == ("complete", True)


def test_fulfilled_after_a_partial_cancellation_delivered_first_converges(engine: Engine) -> None:
    # DR: 201 accepted (two charges), order.accepted, ch-2 cancelled, order.fulfilled.
    plan = HistoryPlan(OrderShape(charges=2), steps=(D.CANCEL_ONE_CHARGE, D.FULFIL))
    # Delivered: submit, order.fulfilled (refused today), then the rest in DR's order.
    state, _ = deliver(engine, plan, [0, 4, 1, 2, 3])

    assert state == expected_final_state(plan) == "fulfilled"
