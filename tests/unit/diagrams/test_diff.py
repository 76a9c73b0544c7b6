"""A lifecycle diff: what it finds, the summary it prints, and how DOT and Mermaid mark it."""

from __future__ import annotations

import json
import re

from orderfsm.diagrams import Change, diff_graphs, dot_source, graph_from_lifecycle, mermaid_source
from orderfsm.diagrams.diff_style import ADDED_INK, CHANGED_INK, REMOVED_INK
from orderfsm.diagrams.export import lifecycle_document, load_lifecycle
from orderfsm.diagrams.mermaid_diff import LINK_STYLES
from tests.unit.diagrams.dotparse import html, parse, text_of
from tests.unit.diagrams.support import ADDED_SINCE_BASE, REMOVED_SINCE_BASE, base_document


def test_the_same_table_has_no_changes() -> None:
    change = diff_graphs(graph_from_lifecycle(), graph_from_lifecycle(), "HEAD")

    assert not change.changed
    assert change.summary() == ("- no changes",)


def test_an_edge_added_and_one_removed_are_found_and_summarised() -> None:
    base = load_lifecycle(json.dumps(base_document()), source="base.json")
    change = diff_graphs(base, graph_from_lifecycle(), "base.json")

    marks = {e.edge.key: e.change for e in change.edges if e.change is not Change.SAME}

    assert marks == {ADDED_SINCE_BASE: Change.ADDED, REMOVED_SINCE_BASE: Change.REMOVED}
    assert change.summary() == (
        "- `+ edge fulfilled --complete--> complete`",
        "- `- edge accepted --return--> returned`",
    )
    assert change.changed


def test_changed_guards_effects_and_deadlines_say_what_they_were() -> None:
    document = lifecycle_document()
    for edge in document["edges"]:
        if (edge["source"], edge["trigger"]) == ("in_review", "accept"):
            edge["guards"] = ["all charges authorized"]
        if (edge["source"], edge["trigger"]) == ("submitted", "reject_payment"):
            edge["effects"] = []
    document["states"][0]["deadlineSeconds"] = 600
    base = load_lifecycle(json.dumps(document), source="base.json")

    summary = diff_graphs(base, graph_from_lifecycle(), "base.json").summary()

    assert summary == (
        "- `~ state submitted: deadline: 10m → 15m`",
        "- `~ edge in_review --accept--> accepted: guards: all charges authorized → "
        "all charges authorized, fraud not blocked`",
        "- `~ edge submitted --reject_payment--> rejected: effects: none → notify_payment_failed`",
    )


def test_a_removed_state_is_kept_in_the_picture_with_its_edges() -> None:
    document = lifecycle_document()
    document["states"].append(
        {"name": "on_hold", "kind": "normal", "band": "fulfilment", "meaning": "paused"}
    )
    document["edges"].append(
        {"source": "accepted", "trigger": "hold", "target": "on_hold", "internal": False}
    )
    base = load_lifecycle(json.dumps(document), source="base.json")

    change = diff_graphs(base, graph_from_lifecycle(), "base.json")

    assert change.of_state("on_hold").change is Change.REMOVED
    assert "- `- state on_hold`" in change.summary()
    assert "accepted:hold:on_hold" in {e.key for e in change.graph.moves}


ARROW = re.compile(r'^(?P<source>\w+) (?P<arrow>-->|-\.->)\|"(?P<label>[^"]*)"\| (?P<dest>\w+)$')


def _move(arrow: re.Match[str]) -> str:
    words = arrow["label"].split(" ")
    trigger = words[1] if words[0] in {"+", "\u2212", "~"} else words[0]
    return f"{arrow['source']}:{trigger}"


def edge_attrs(source: str, key: str) -> dict[str, str]:
    (edge,) = [e for e in parse(source).edges if e.attrs.get("id") == f"edge:{key}"]
    return edge.attrs


def test_dot_draws_added_edges_green_and_removed_ones_red_and_dashed() -> None:
    base = load_lifecycle(json.dumps(base_document()), source="base.json")
    source = dot_source(diff_graphs(base, graph_from_lifecycle(), "base.json"))

    added = edge_attrs(source, ADDED_SINCE_BASE)
    removed = edge_attrs(source, REMOVED_SINCE_BASE)
    same = edge_attrs(source, "submitted:await_payment:pending_payment")

    assert (added["color"], added["class"]) == (ADDED_INK, "added")
    assert text_of(added["label"]).startswith("+ complete")
    assert (removed["color"], removed["style"], removed["class"]) == (
        REMOVED_INK,
        "dashed",
        "removed",
    )
    assert "color" not in same and "style" not in same
    assert text_of(parse(source).node("__legend__").attrs["label"]).startswith("legend")


def test_dot_marks_a_changed_guard_in_amber_with_its_old_value() -> None:
    document = lifecycle_document()
    for edge in document["edges"]:
        if (edge["source"], edge["trigger"]) == ("fulfilled", "complete"):
            edge["guards"] = ["captured"]
    base = load_lifecycle(json.dumps(document), source="base.json")

    attrs = edge_attrs(dot_source(diff_graphs(base, graph_from_lifecycle(), "b")), ADDED_SINCE_BASE)

    assert attrs["color"] == CHANGED_INK
    assert "~ guards: captured → none" in text_of(attrs["label"])


def test_removed_internal_edges_are_struck_through_inside_their_state() -> None:
    document = lifecycle_document()
    document["edges"].append(
        {
            "source": "complete",
            "trigger": "note_checkout_consumed",
            "target": "complete",
            "internal": True,
        }
    )
    base = load_lifecycle(json.dumps(document), source="base.json")

    node = parse(dot_source(diff_graphs(base, graph_from_lifecycle(), "b"))).node("complete")

    (cell,) = [
        c
        for c in html(node.attrs["label"]).iter("TD")
        if c.get("ID") == "complete:note_checkout_consumed:complete"
    ]
    assert cell.find(".//S") is not None
    assert cell.find(".//FONT").get("COLOR") == REMOVED_INK


def test_mermaid_draws_a_flowchart_with_change_classes_and_link_styles() -> None:
    document = base_document()
    document["states"].append({"name": "on_hold", "kind": "normal", "band": "fulfilment"})
    base = load_lifecycle(json.dumps(document), source="base.json")

    text = mermaid_source(diff_graphs(base, graph_from_lifecycle(), "base.json"))
    lines = [line.strip() for line in text.splitlines()]

    assert lines[0] == "flowchart TB"
    assert {line.split(" ")[1] for line in lines if line.startswith("classDef ")} == {
        "added",
        "removed",
        "changed",
    }
    arrows = [ARROW.match(line) for line in lines if re.match(r"^\w+ (-->|-\.->)", line)]
    at = {_move(m): n for n, m in enumerate(arrows) if m}
    styles = {int(m[1]): m[2] for line in lines if (m := re.match(r"linkStyle (\d+) (.+)", line))}
    assert styles == {
        at["fulfilled:complete"]: LINK_STYLES[Change.ADDED],
        at["accepted:return"]: LINK_STYLES[Change.REMOVED],
    }
    removed = arrows[at["accepted:return"]]
    assert removed is not None and removed["arrow"] == "-.->"
    assert "class on_hold removed" in lines


def test_mermaid_labels_from_a_base_file_cannot_break_the_flowchart() -> None:
    document = lifecycle_document()
    document["edges"].append(
        {
            "source": "complete",
            "trigger": "cancel",
            "target": "cancelled",
            "guards": ['paid "in full"; <b>really</b>  sure'],
        }
    )
    base = load_lifecycle(json.dumps(document), source="base.json")

    text = mermaid_source(diff_graphs(base, graph_from_lifecycle(), "base.json"))

    (line,) = [line for line in text.splitlines() if line.strip().startswith("complete -.->")]
    match = ARROW.match(line.strip())
    assert match is not None, line
    assert match["label"] == (
        "\u2212 cancel [paid #quot;in full#quot;#59; #lt;b#gt;really#lt;/b#gt; sure]"
    )
