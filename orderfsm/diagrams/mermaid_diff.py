"""A lifecycle diff in Mermaid: a ``flowchart``, since a state diagram cannot style its arrows.

Mermaid's ``stateDiagram-v2`` has no ``linkStyle`` (mermaid-js/mermaid#1352),
so an added or removed transition could not be coloured there. A flowchart
can: each state is a node in its band's ``subgraph`` (flowcharts, unlike state
diagrams, draw edges between subgraphs), removed edges are dotted (``-.->``),
and ``linkStyle N`` colours edge N (counted from 0 in the order written).
States carry ``classDef`` classes ``added``, ``removed`` and ``changed``; a
state lists its deadline, entry effects and internal edges as the state
diagram does, each internal edge marked ``+``, a minus sign or ``~``.
"""

from __future__ import annotations

import re

from orderfsm.diagrams.diff import Change, EdgeDiff, LifecycleDiff, StateDiff
from orderfsm.diagrams.diff_style import INK, sign
from orderfsm.diagrams.graph import DiagramState
from orderfsm.fsm.lifecycle import StateKind

# Ids of what is not a state start with '_': a state's id is its name, which
# the document format keeps to [a-z][a-z0-9_]*, so the two never collide.
INITIAL_NODE = "_start"
LEGEND = "_legend"
BAND_PREFIX = "_band_"
CLASS_STYLES = {
    Change.ADDED: f"stroke:{INK[Change.ADDED]},stroke-width:3px,color:{INK[Change.ADDED]}",
    Change.REMOVED: (
        f"stroke:{INK[Change.REMOVED]},stroke-width:2px,stroke-dasharray:6 4,"
        f"color:{INK[Change.REMOVED]}"
    ),
    Change.CHANGED: f"stroke:{INK[Change.CHANGED]},stroke-width:3px",
}
"""Each change's ``classDef`` (states) and, with ``stroke`` only, ``linkStyle`` (edges)."""
_BREAKS = re.compile(r"[ \t\n\r\f\v]+")
"""Line breaks and runs of spaces (not the no-break spaces that keep a mark on its word)."""
_CODES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", ";": "#59;"}
LINK_STYLES = {
    Change.ADDED: f"stroke:{INK[Change.ADDED]},stroke-width:3px,color:{INK[Change.ADDED]}",
    Change.REMOVED: f"stroke:{INK[Change.REMOVED]},stroke-width:2px,color:{INK[Change.REMOVED]}",
    Change.CHANGED: f"stroke:{INK[Change.CHANGED]},stroke-width:3px,color:{INK[Change.CHANGED]}",
}


def mermaid_diff_source(diff: LifecycleDiff) -> str:
    """The ``flowchart`` text of ``diff``: the head's lifecycle with the changes marked."""
    lines = [
        "flowchart TB",
        f"    %% {_one_line(diff.title)}: generated from two lifecycle tables; do not edit by hand",
    ]
    lines += [f"    classDef {change.value} {style}" for change, style in CLASS_STYLES.items()]
    lines += [
        f"    subgraph {LEGEND} [legend]",
        f'        {LEGEND}_added["+ added"]:::added',
        f'        {LEGEND}_removed["{sign(Change.REMOVED)} removed (dotted)"]:::removed',
        f'        {LEGEND}_changed["~ changed: guard / effect a → b"]:::changed',
        "    end",
        f'    {INITIAL_NODE}((" "))',
    ]
    graph = diff.graph
    for group, states in graph.groups:
        lines.append(f'    subgraph {BAND_PREFIX}{group.name.lower()} ["{_text(group.value)}"]')
        lines += [f"        {_node(diff, state)}" for state in states]
        lines.append("    end")
    links: list[Change] = [Change.SAME]
    first = next(s for s in graph.states if s.kind is StateKind.INITIAL)
    lines.append(f"    {INITIAL_NODE} --> {first.name}")
    for edge in graph.moves:
        part = diff.of_edge(edge)
        arrow = "-.->" if part.change is Change.REMOVED else "-->"
        lines.append(f'    {edge.source} {arrow}|"{_edge_label(part)}"| {edge.dest}')
        links.append(part.change)
    for at, change in enumerate(links):
        if change is not Change.SAME:
            lines.append(f"    linkStyle {at} {LINK_STYLES[change]}")
    for change in CLASS_STYLES:
        named = [s.state.name for s in diff.states if s.change is change]
        if named:
            lines.append(f"    class {','.join(named)} {change.value}")
    return "\n".join(lines) + "\n"


def _node(diff: LifecycleDiff, state: DiagramState) -> str:
    part = diff.of_state(state.name)
    rows = [f"<b>{_text(state.name)}</b>"]
    rows += _state_marks(part)
    if state.deadline_label:
        rows.append(_text(state.deadline_label))
    rows += [_text(f"entry / {effect}") for effect in state.entry_effects]
    rows += [_internal(diff.of_edge(edge)) for edge in diff.graph.internal_edges(state.name)]
    label = "<br/>".join(rows)
    # A double border ([[...]]) for terminal states, as the state diagram ends them.
    return (
        f'{state.name}[["{label}"]]'
        if state.kind is StateKind.TERMINAL
        else (f'{state.name}["{label}"]')
    )


def _state_marks(part: StateDiff) -> list[str]:
    if part.change is Change.SAME:
        return []
    return [f"{sign(part.change)} {part.change.value} state"] + [
        _text(f"~ {detail}") for detail in part.details
    ]


def _internal(part: EdgeDiff) -> str:
    mark = "" if part.change is Change.SAME else f"{sign(part.change)} "
    said = f" ({'; '.join(part.details)})" if part.details else ""
    # A no-break space: Mermaid wraps long lines, and a lone ↻ would end one.
    return _text(f"{mark}↻\u00a0{part.edge.label}{said}")


def _edge_label(part: EdgeDiff) -> str:
    mark = "" if part.change is Change.SAME else f"{sign(part.change)} "
    rows = [_text(f"{mark}{part.edge.label}")]
    rows += [_text(f"~ {detail}") for detail in part.details]
    return "<br/>".join(rows)


def _text(text: str) -> str:
    # Inside a quoted flowchart label: entity codes keep the characters Mermaid
    # would read as syntax or HTML in the drawn text (one pass: codes end in ';'), on one line.
    return "".join(_CODES.get(char, char) for char in _BREAKS.sub(" ", text).strip())


def _one_line(text: str) -> str:
    return " ".join(text.split())
