"""A per-order diagram highlights exactly the edges the order's applied history took."""

from __future__ import annotations

import pytest

from orderfsm.diagrams import DiagramError, dot_source, mermaid_source, order_path
from orderfsm.diagrams.dot import INITIAL_NODE, SIGNALS_NODE, TAKEN_CELL, TAKEN_CLASS
from tests.unit.diagrams.dotparse import Dot, html, parse, text_of
from tests.unit.diagrams.support import Entry, accepted_then_fulfilled

TAKEN = {
    "submitted:link_dr_order:submitted": (2,),
    "submitted:await_payment:pending_payment": (3,),
    "pending_payment:open_review:in_review": (5,),
    "in_review:accept:accepted": (6,),
    "accepted:record_charge_captured:accepted": (9,),
    "accepted:fulfil:fulfilled": (10,),
}


def path_dot(history: list[Entry], current: str) -> Dot:
    return parse(dot_source(order_path(history, current, title="order UP1")))


def highlighted(dot: Dot) -> set[str]:
    """Edge keys drawn as taken: edge statements of class taken, or highlighted cells."""
    keys = {
        e.attrs["id"].removeprefix("edge:")
        for e in dot.edges
        if e.attrs.get("class") == TAKEN_CLASS and e.attrs["id"].startswith("edge:")
    }
    for node in dot.nodes:
        label = node.attrs.get("label", "")
        if label.startswith("<"):
            keys |= {
                td.get("ID", "") for td in html(label).iter("TD") if td.get("BGCOLOR") == TAKEN_CELL
            }
    keys.discard("initial")
    return keys


def test_the_path_model_numbers_steps_by_history_position() -> None:
    path = order_path(accepted_then_fulfilled(), "fulfilled")

    assert {edge.key: steps for edge, steps in path.taken.items()} == TAKEN
    assert path.start == (1,)
    assert [s.number for s in path.signals] == [4, 7, 8]
    assert path.visited == {"submitted", "pending_payment", "in_review", "accepted", "fulfilled"}


def test_the_dot_highlights_exactly_the_edges_of_the_applied_history() -> None:
    dot = path_dot(accepted_then_fulfilled(), "fulfilled")

    assert highlighted(dot) == set(TAKEN)


def test_each_taken_edge_is_labelled_with_its_step_number() -> None:
    dot = path_dot(accepted_then_fulfilled(), "fulfilled")
    by_id = {e.attrs.get("id"): e for e in dot.edges}

    assert "step 3" in text_of(by_id["edge:submitted:await_payment:pending_payment"].attrs["label"])
    assert text_of(by_id["edge:in_review:accept:accepted"].attrs["label"]) == "6"
    assert "step 6" in text_of(by_id["bundle:junction_accept_accepted"].attrs["label"])
    assert "step 1" in text_of(by_id["edge:initial"].attrs["label"])
    assert "(step 9)" in text_of(dot.node("accepted").attrs["label"])


def test_the_current_state_is_emphasised_and_only_it() -> None:
    dot = path_dot(accepted_then_fulfilled(), "fulfilled")
    filled = {n.name for n in dot.nodes if n.attrs.get("fillcolor") not in (None, "white")}

    assert filled - {SIGNALS_NODE, INITIAL_NODE} == {"fulfilled"}
    assert dot.node("fulfilled").attrs["penwidth"] == "3"


def test_signals_that_took_no_edge_are_listed_beside_the_graph() -> None:
    dot = path_dot(accepted_then_fulfilled(), "fulfilled")
    note = text_of(dot.node(SIGNALS_NODE).attrs["label"])

    assert "4. accept (order.accepted): refused - all charges authorized: charge ch_1" in note
    assert "7. await_payment (order.pending_payment): stale" in note
    assert "8. accept (order.accepted): duplicate" in note
    assert "fulfil" not in note


def test_an_applied_step_the_table_does_not_declare_is_listed_not_drawn() -> None:
    history = [Entry("submit", None, "submitted"), Entry("fulfil", "submitted", "fulfilled")]
    dot = path_dot(history, "fulfilled")

    assert highlighted(dot) == set()
    assert "2. fulfil: applied submitted -> fulfilled, not a declared edge" in text_of(
        dot.node(SIGNALS_NODE).attrs["label"]
    )


def test_an_order_with_a_clean_history_has_no_signals_note() -> None:
    history = [Entry("submit", None, "submitted"), Entry("accept", "submitted", "accepted")]
    dot = path_dot(history, "accepted")

    assert highlighted(dot) == {"submitted:accept:accepted"}
    assert SIGNALS_NODE not in {n.name for n in dot.nodes}


def test_an_unknown_current_state_is_a_diagram_error() -> None:
    with pytest.raises(DiagramError, match="'shipped' is not a state"):
        order_path([], "shipped")


def test_the_mermaid_path_numbers_the_same_edges() -> None:
    text = mermaid_source(order_path(accepted_then_fulfilled(), "fulfilled"))
    numbered = [line.strip() for line in text.splitlines() if "step " in line]

    assert numbered == [
        "[*] --> submitted : step 1",
        "submitted : ↻ step 2 · link_dr_order",
        "accepted : ↻ step 9 · record_charge_captured",
        "submitted --> pending_payment : step 3 · await_payment",
        "pending_payment --> in_review : step 5 · open_review",
        "in_review --> accepted : step 6 · accept [all charges authorized, fraud not blocked]",
        "accepted --> fulfilled : step 10 · fulfil",
    ]
    assert "    class fulfilled current" in text.splitlines()
