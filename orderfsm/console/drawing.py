"""Diagrams for the console's pages: SVG inline when Graphviz is there, a text path always.

The lifecycle page draws the table with live numbers: each state named with
the orders in it now, each edge's trigger with the times it was taken in the
last 24 hours. They are written into a copy of the neutral graph
(:mod:`orderfsm.diagrams.graph`), so the renderer stays the one that draws
every other diagram. Without ``dot`` the pages say so and show the same
numbers as tables.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import replace

from orderfsm.diagrams import DiagramError, LifecycleGraph, OrderPath, graph_from_lifecycle, render


def dot_available() -> bool:
    """Whether Graphviz's ``dot`` is on PATH."""
    return shutil.which("dot") is not None


def inline_svg(diagram: LifecycleGraph | OrderPath) -> str | None:
    """The diagram as an ``<svg>`` element to put in a page, or ``None`` without Graphviz.

    Graphviz escapes every label it writes (orderfsm's DOT labels are escaped
    before), so the SVG holds no markup from data; the XML prolog and DOCTYPE
    are cut, as HTML wants.
    """
    if not dot_available():
        return None
    try:
        svg = render(diagram, "svg").decode()
    except DiagramError:
        return None
    return svg[svg.index("<svg") :]


def live_graph(
    counts: Mapping[str, int], taken: Mapping[tuple[str, str, str], int]
) -> LifecycleGraph:
    """The lifecycle with "state (N)" and "trigger xN" for the live numbers."""
    graph = graph_from_lifecycle()
    names = {s.name: f"{s.name} ({counts.get(s.name, 0)})" for s in graph.states}
    states = tuple(replace(s, name=names[s.name]) for s in graph.states)
    edges = []
    for edge in graph.edges:
        times = taken.get((edge.source, edge.trigger, edge.dest), 0)
        edges.append(
            replace(
                edge,
                source=names[edge.source],
                dest=names[edge.dest],
                trigger=f"{edge.trigger} x{times}" if times else edge.trigger,
            )
        )
    return LifecycleGraph(states, tuple(edges))
