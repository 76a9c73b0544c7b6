"""The DOT source shows every state and edge of the table exactly once (read by parsing).

"Appears" means: a state is one node statement, inside its band's cluster; a
state-changing edge is one edge statement whose ``id`` is ``edge:<key>``,
leaving its source for its destination or for a junction point whose one
labelled edge reaches the destination; an internal edge is one cell of its
state's HTML label whose ``ID`` is its key.
"""

from __future__ import annotations

from collections import Counter

from orderfsm.diagrams import dot_source, graph_from_lifecycle
from orderfsm.diagrams.dot import INITIAL_NODE
from orderfsm.fsm.lifecycle import LIFECYCLE, StateKind
from tests.unit.diagrams.dotparse import Dot, cell_ids, parse, text_of
from tests.unit.diagrams.support import table_edges

STATES = [spec.state.value for spec in LIFECYCLE.states]


def lifecycle_dot() -> Dot:
    return parse(dot_source(graph_from_lifecycle()))


def drawn_edges(dot: Dot) -> Counter[str]:
    """Each edge the DOT draws, as ``source:trigger:dest``, read back from the structure."""
    drawn: Counter[str] = Counter()
    for edge in dot.edges:
        ident = edge.attrs.get("id", "")
        if not ident.startswith("edge:") or edge.tail == INITIAL_NODE:
            continue
        key = ident.removeprefix("edge:")
        source, trigger, _ = key.split(":")
        assert edge.tail == source, ident
        head = edge.head
        label = edge.attrs.get("label", "")
        if head.startswith("junction_"):
            (onward,) = [e for e in dot.edges if e.tail == head]
            head, label = onward.head, onward.attrs["label"]
        assert text_of(label).split(" ")[0] == trigger, ident
        drawn[f"{source}:{trigger}:{head}"] += 1
    for node in dot.nodes:
        for key in cell_ids(node.attrs.get("label", "")):
            if key.startswith("deadline:"):
                continue  # the state's deadline, not an edge
            source, trigger, dest = key.split(":")
            assert (source, dest) == (node.name, node.name), key
            drawn[f"{source}:{trigger}:{dest}"] += 1
    return drawn


def test_every_state_is_one_node_in_its_band() -> None:
    dot = lifecycle_dot()
    states = [n for n in dot.nodes if n.name in STATES]

    assert sorted(n.name for n in states) == sorted(STATES)
    for spec in LIFECYCLE.states:
        node = dot.node(spec.state.value)
        assert node.cluster == f"cluster_{spec.group.name.lower()}"
        assert text_of(node.attrs["label"]).split(" ")[0] == spec.state.value


def test_every_edge_of_the_table_appears_exactly_once() -> None:
    assert drawn_edges(lifecycle_dot()) == table_edges()


def test_edge_labels_carry_guards_and_effects() -> None:
    dot = lifecycle_dot()
    labels = {text_of(e.attrs.get("label", "")) for e in dot.edges}

    assert "accept [all charges authorized, fraud not blocked]" in labels
    assert "cancel [all charges cancelled] / cancel_fulfillment" in labels
    assert "reject_payment / notify_payment_failed" in labels


def test_terminal_states_are_double_octagons_and_the_initial_state_is_entered_from_a_point() -> (
    None
):
    dot = lifecycle_dot()

    for spec in LIFECYCLE.states:
        shape = dot.node(spec.state.value).attrs["shape"]
        assert (shape == "doubleoctagon") is (spec.kind is StateKind.TERMINAL)
    assert dot.node(INITIAL_NODE).attrs["shape"] == "point"
    (entry,) = [e for e in dot.edges if e.tail == INITIAL_NODE]
    assert entry.head == LIFECYCLE.initial_states[0].value


def test_bands_are_clusters_drawn_top_to_bottom() -> None:
    dot = lifecycle_dot()

    assert dot.clusters == [
        "cluster_payment_and_review",
        "cluster_fulfilment",
        "cluster_ended",
    ]


def test_entry_effects_are_listed_in_their_state() -> None:
    label = text_of(lifecycle_dot().node("accepted").attrs["label"])

    assert "entry / send_order_confirmation" in label
    assert "entry / request_shipment (physical items)" in label


def test_the_source_is_deterministic() -> None:
    assert dot_source(graph_from_lifecycle()) == dot_source(graph_from_lifecycle())
