"""The lifecycle table drawn for reviewers: a neutral graph, then DOT, SVG, PNG, Mermaid.

The pipeline is ``graph_from_lifecycle()`` (or ``order_path(history, state)``
for one order) -> ``dot_source`` / ``render`` / ``mermaid_source``;
``write_diagram`` picks the format from a file's suffix and ``stale_diff`` says
whether a committed diagram still matches the table. ``graphviz`` is imported
only when DOT is built or drawn; SVG and PNG also need Graphviz's ``dot``.
"""

from orderfsm.diagrams.diff import Change, EdgeDiff, LifecycleDiff, StateDiff, diff_graphs
from orderfsm.diagrams.dot import dot_source, render
from orderfsm.diagrams.errors import DiagramError
from orderfsm.diagrams.files import Format, generate, stale_diff, write_diagram
from orderfsm.diagrams.graph import DiagramEdge, DiagramState, LifecycleGraph, graph_from_lifecycle
from orderfsm.diagrams.mermaid import mermaid_source
from orderfsm.diagrams.path import HistoryLike, OrderPath, PathStep, order_path

__all__ = [
    "Change",
    "DiagramEdge",
    "DiagramError",
    "DiagramState",
    "EdgeDiff",
    "Format",
    "HistoryLike",
    "LifecycleDiff",
    "LifecycleGraph",
    "OrderPath",
    "PathStep",
    "StateDiff",
    "diff_graphs",
    "dot_source",
    "generate",
    "graph_from_lifecycle",
    "mermaid_source",
    "order_path",
    "render",
    "stale_diff",
    "write_diagram",
]
