"""The Mermaid text shows every state and edge of the table exactly once (read line by line).

"Appears" means: a state-changing edge is one ``source --> dest : label`` line;
an internal edge is one ``state : ↻ label`` line, drawn inside the state.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from orderfsm.diagrams import graph_from_lifecycle, mermaid_source
from orderfsm.diagrams.mermaid import INTERNAL_MARK
from orderfsm.fsm.lifecycle import LIFECYCLE, StateKind
from tests.unit.diagrams.support import table_edges

ARROW = re.compile(r"^(?P<source>\S+) --> (?P<dest>\S+)(?: : (?P<label>.+))?$")
DESCRIPTION = re.compile(r"^(?P<state>\w+) : (?P<text>.+)$")
DECLARATION = re.compile(r'^state "(?P<title>[^"]+)" as (?P<state>\w+)$')


@dataclass
class Mermaid:
    header: str
    arrows: list[tuple[str, str, str]]
    descriptions: list[tuple[str, str]]
    classes: dict[str, list[str]]
    declared: list[tuple[str, str]]


def parse(text: str) -> Mermaid:
    lines = [line.strip() for line in text.splitlines()]
    mermaid = Mermaid(lines[0], [], [], {}, [])
    in_note = False
    for line in lines[1:]:
        if in_note:
            in_note = line != "end note"
        elif not line or line.startswith(("%%", "classDef ", "direction ")):
            continue
        elif line.startswith("note "):
            in_note = " : " not in line
        elif match := DECLARATION.match(line):
            mermaid.declared.append((match["title"], match["state"]))
        elif line.startswith("class "):
            _, names, css = line.split(" ")
            mermaid.classes[css] = names.split(",")
        elif match := ARROW.match(line):
            mermaid.arrows.append((match["source"], match["dest"], match["label"] or ""))
        elif match := DESCRIPTION.match(line):
            mermaid.descriptions.append((match["state"], match["text"]))
        else:
            raise AssertionError(f"unexpected Mermaid line: {line!r}")
    return mermaid


def lifecycle() -> Mermaid:
    return parse(mermaid_source(graph_from_lifecycle()))


def test_it_is_a_state_diagram_v2() -> None:
    assert lifecycle().header == "stateDiagram-v2"


def test_every_edge_of_the_table_appears_exactly_once() -> None:
    mermaid = lifecycle()
    drawn: Counter[str] = Counter()
    for source, dest, label in mermaid.arrows:
        if "[*]" not in (source, dest):
            drawn[f"{source}:{label.split(' ')[0]}:{dest}"] += 1
    for state, text in mermaid.descriptions:
        if text.startswith(INTERNAL_MARK):
            trigger = text.removeprefix(INTERNAL_MARK).split()[0]
            drawn[f"{state}:{trigger}:{state}"] += 1

    assert drawn == table_edges()


def test_each_edge_line_reads_trigger_guards_effects() -> None:
    graph = graph_from_lifecycle()
    arrows = lifecycle().arrows

    for edge in graph.moves:
        assert (edge.source, edge.dest, edge.label) in arrows


def test_every_state_appears_once_in_exactly_one_band() -> None:
    classes = lifecycle().classes
    banded = [
        name for group in ("payment_and_review", "fulfilment", "ended") for name in classes[group]
    ]

    assert sorted(banded) == sorted(spec.state.value for spec in LIFECYCLE.states)


def test_the_initial_state_is_entered_and_terminal_states_end() -> None:
    arrows = lifecycle().arrows
    starts = [dest for source, dest, _ in arrows if source == "[*]"]
    ends = [source for source, dest, _ in arrows if dest == "[*]"]

    assert starts == [LIFECYCLE.initial_states[0].value]
    assert sorted(ends) == sorted(
        s.state.value for s in LIFECYCLE.states if s.kind is StateKind.TERMINAL
    )


def test_entry_effects_are_state_descriptions() -> None:
    descriptions = lifecycle().descriptions

    assert ("blocked", "entry / notify_order_blocked") in descriptions
    assert ("accepted", "entry / deliver_digital (digital items)") in descriptions


def test_every_state_is_declared_once_titled_by_its_own_name_in_table_order() -> None:
    # Mermaid titles a box with its first description: the name must come first.
    assert lifecycle().declared == [(s.state.value, s.state.value) for s in LIFECYCLE.states]
