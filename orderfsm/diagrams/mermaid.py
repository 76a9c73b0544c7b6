"""Mermaid renderer: ``stateDiagram-v2`` text that code hosts draw in the README.

One statement per line, in table order, so a change to the table is a small
diff. How a test finds every edge:

- each state-changing edge is exactly one ``source --> dest : label`` line;
- each internal edge is exactly one ``state : ↻ label`` line, which Mermaid
  draws inside the state's box (a dozen self-loops per state would be unreadable).

Bands are ``classDef`` colours plus one note on each band's first state:
Mermaid cannot draw an edge between states of two different composite states,
and every band here has edges leaving it. An :class:`OrderPath` numbers the
edges the order took ("step 2 · await_payment"), marks the visited states and
the current one, and lists the signals that took no edge in a note.
"""

from __future__ import annotations

from collections.abc import Mapping

from orderfsm.diagrams.diff import LifecycleDiff
from orderfsm.diagrams.graph import DiagramEdge, LifecycleGraph
from orderfsm.diagrams.mermaid_diff import mermaid_diff_source
from orderfsm.diagrams.path import OrderPath
from orderfsm.fsm.lifecycle import StateGroup, StateKind

INTERNAL_MARK = "↻"
STEP_SEPARATOR = " · "

_GROUP_STYLES: Mapping[StateGroup, str] = {
    StateGroup.PAYMENT_AND_REVIEW: "fill:#f3f7fc,stroke:#7d9cc8",
    StateGroup.FULFILMENT: "fill:#f2f9f2,stroke:#7fb37f",
    StateGroup.ENDED: "fill:#f7f7f7,stroke:#999999",
}
_PATH_STYLES = {
    "visited": "stroke:#1565c0,stroke-width:2px",
    "current": "fill:#ffe082,stroke:#1565c0,stroke-width:3px",
}


def mermaid_source(diagram: LifecycleGraph | OrderPath | LifecycleDiff) -> str:
    """The ``stateDiagram-v2`` text of the lifecycle, or of one order's path through it.

    A :class:`LifecycleDiff` is drawn as a ``flowchart`` instead (see
    :mod:`orderfsm.diagrams.mermaid_diff`): only flowcharts can colour arrows.
    """
    if isinstance(diagram, LifecycleDiff):
        return mermaid_diff_source(diagram)
    path = diagram if isinstance(diagram, OrderPath) else None
    graph = diagram.graph if isinstance(diagram, OrderPath) else diagram
    taken = {} if path is None else path.taken
    title = "orderfsm lifecycle" if path is None else (path.title or "order path")
    lines = [
        "stateDiagram-v2",
        "    direction TB",
        f"    %% {_one_line(title)}: generated from the lifecycle table; do not edit by hand",
    ]
    for group in StateGroup:
        lines.append(f"    classDef {_class(group)} {_GROUP_STYLES[group]}")
    if path is not None:
        lines += [f"    classDef {name} {style}" for name, style in _PATH_STYLES.items()]
    # Mermaid titles a box with its first description, so each state's first
    # description is its own name; this also declares the states in table order.
    lines += [f'    state "{s.name}" as {s.name}' for s in graph.states]
    start = () if path is None else path.start
    for state in graph.states:
        if state.kind is StateKind.INITIAL:
            steps = f" : step {', '.join(map(str, start))}" if start else ""
            lines.append(f"    [*] --> {state.name}{steps}")
    for state in graph.states:
        if state.deadline_label:
            lines.append(f"    {state.name} : {_text(state.deadline_label)}")
        for effect in state.entry_effects:
            lines.append(f"    {state.name} : entry / {_text(effect)}")
        for edge in graph.internal_edges(state.name):
            lines.append(f"    {state.name} : {INTERNAL_MARK} {_label(edge, taken)}")
    for edge in graph.moves:
        lines.append(f"    {edge.source} --> {edge.dest} : {_label(edge, taken)}")
    for state in graph.states:
        if state.kind is StateKind.TERMINAL:
            lines.append(f"    {state.name} --> [*]")
    for group, states in graph.groups:
        lines.append(f"    class {','.join(s.name for s in states)} {_class(group)}")
        lines.append(f"    note left of {states[0].name} : {_one_line(group.value)}")
    if path is not None:
        lines += _path_lines(path)
    return "\n".join(lines) + "\n"


def _path_lines(path: OrderPath) -> list[str]:
    lines = []
    visited = sorted(path.visited - {path.current})
    if visited:
        lines.append(f"    class {','.join(visited)} visited")
    lines.append(f"    class {path.current} current")
    if path.signals:
        lines.append(f"    note right of {path.current}")
        lines.append("        signals that took no edge")
        lines += [f"        {_one_line(step.summary)}" for step in path.signals]
        lines.append("    end note")
    return lines


def _label(edge: DiagramEdge, taken: Mapping[DiagramEdge, tuple[int, ...]]) -> str:
    steps = taken.get(edge, ())
    prefix = f"step {', '.join(map(str, steps))}{STEP_SEPARATOR}" if steps else ""
    return _text(prefix + edge.label)


def _class(group: StateGroup) -> str:
    return group.name.lower()


def _text(text: str) -> str:
    # ';' ends a Mermaid statement and '#' starts an entity; ':' splits a
    # description. Entity codes keep them in the drawn text.
    return text.replace("#", "#35;").replace(";", "#59;").replace(":", "#58;")


def _one_line(text: str) -> str:
    return " ".join(text.split())
