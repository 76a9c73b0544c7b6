"""The neutral graph holds exactly the table: every state, every edge, once."""

from __future__ import annotations

from collections import Counter

from orderfsm.diagrams import graph_from_lifecycle
from orderfsm.fsm.lifecycle import LIFECYCLE, StateKind
from tests.unit.diagrams.support import table_edges


def test_the_graph_has_every_table_edge_exactly_once() -> None:
    graph = graph_from_lifecycle()

    assert Counter(e.key for e in graph.edges) == table_edges()


def test_the_graph_has_every_state_once_with_its_kind_and_band_in_table_order() -> None:
    graph = graph_from_lifecycle()

    assert [(s.name, s.kind, s.group) for s in graph.states] == [
        (spec.state.value, spec.kind, spec.group) for spec in LIFECYCLE.states
    ]


def test_labels_read_trigger_guards_then_effects() -> None:
    graph = graph_from_lifecycle()
    labels = {e.key: e.label for e in graph.edges}

    assert labels["in_review:accept:accepted"] == (
        "accept [all charges authorized, fraud not blocked]"
    )
    assert labels["submitted:reject_payment:rejected"] == "reject_payment / notify_payment_failed"
    assert labels["accepted:cancel:cancelled"] == (
        "cancel [all charges cancelled] / cancel_fulfillment"
    )
    assert labels["complete:open_dispute:complete"] == "open_dispute (sets disputed)"


def test_states_carry_their_entry_effects_with_conditions() -> None:
    graph = graph_from_lifecycle()

    assert graph.state("accepted").entry_effects == (
        "send_order_confirmation",
        "request_shipment (physical items)",
        "deliver_digital (digital items)",
    )
    assert graph.state("pending_payment").entry_effects == (
        "send_payment_instructions (show_payment_instructions)",
    )


def test_internal_edges_loop_on_their_state_and_moves_leave_it() -> None:
    graph = graph_from_lifecycle()

    assert all(e.dest == e.source for e in graph.edges if e.internal)
    assert all(e.dest != e.source for e in graph.moves)
    terminal = {s.name for s in graph.states if s.kind is StateKind.TERMINAL}
    assert not [e for e in graph.edges if e.source in terminal]


def test_find_edge_tells_a_move_from_an_internal_edge() -> None:
    graph = graph_from_lifecycle()

    move = graph.find_edge("submitted", "accept", "accepted")
    internal = graph.find_edge("accepted", "record_refund", "accepted")

    assert move is not None and move.key == "submitted:accept:accepted"
    assert internal is not None and internal.internal
    assert graph.find_edge("accepted", "record_refund", None) == internal
    assert graph.find_edge("complete", "accept", "accepted") is None
