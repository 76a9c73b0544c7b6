"""Graphviz renderer: DOT source, and SVG/PNG through the real ``dot`` binary.

``graphviz`` is imported inside the functions that need it, so importing
:mod:`orderfsm.diagrams` (or building the machine) never loads it.

How the picture is drawn, and how a test can find every edge in it:

- each state-changing edge is exactly one DOT edge statement whose ``id`` is
  the edge's :attr:`~orderfsm.diagrams.graph.DiagramEdge.key`;
- each internal edge (news recorded without leaving the state) is exactly one
  cell of its state's HTML label, the cell's ``ID`` being the edge's key; so a
  state lists what it records ("↻ link_dr_order") instead of carrying a dozen
  self-loops;
- bands (payment and review, fulfilment, ended) are clusters drawn top to
  bottom; the initial state is entered from a point, terminal states are
  double octagons, entry effects are listed in the state as ``entry / ...``.

An :class:`~orderfsm.diagrams.path.OrderPath` is the same picture with the
edges the order took drawn thick and numbered by history step, its current
state filled, and the signals that took no edge listed in a note beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING, Any, Literal
from xml.etree import ElementTree

from orderfsm.diagrams import diff_style
from orderfsm.diagrams.diff import LifecycleDiff
from orderfsm.diagrams.errors import INSTALL_GRAPHVIZ, DiagramError
from orderfsm.diagrams.graph import DiagramEdge, DiagramState, LifecycleGraph
from orderfsm.diagrams.labels import (
    MUTED_INK,
    PATH_INK,
    TAKEN_CELL,
    TAKEN_CLASS,
    edge_label,
    label_cell,
    label_table,
    padded,
    step_numbers,
    taken_style,
)
from orderfsm.diagrams.path import OrderPath
from orderfsm.fsm.lifecycle import StateGroup, StateKind

if TYPE_CHECKING:
    import graphviz

__all__ = [
    "INITIAL_NODE",
    "SIGNALS_NODE",
    "SOURCE_METADATA_ID",
    "TAKEN_CELL",
    "TAKEN_CLASS",
    "ImageFormat",
    "dot_source",
    "embedded_source",
    "render",
]

ImageFormat = Literal["svg", "png"]
Drawable = LifecycleGraph | OrderPath | LifecycleDiff
"""What the renderers draw: the lifecycle, one order's path through it, or a change to it."""

INITIAL_NODE = "__initial__"
SIGNALS_NODE = "__signals__"
SOURCE_METADATA_ID = "orderfsm-dot-source"

_FONT = "Helvetica"
_INK = "#333333"
_CURRENT = "#ffe082"
_ONE_COLUMN_UP_TO = 4
_BANDS: Mapping[StateGroup, tuple[str, str]] = {
    StateGroup.PAYMENT_AND_REVIEW: ("#f3f7fc", "#b7c9e2"),
    StateGroup.FULFILMENT: ("#f2f9f2", "#b5d6b5"),
    StateGroup.ENDED: ("#f7f7f7", "#c8c8c8"),
}


def dot_source(diagram: Drawable) -> str:
    """The DOT source of the lifecycle, of one order's path through it, or of a change to it."""
    return str(_digraph(diagram).source)


def render(diagram: Drawable, format: ImageFormat = "svg") -> bytes:
    """Render with Graphviz's ``dot``; an SVG carries its DOT source as metadata.

    Raises :class:`DiagramError` when ``dot`` is not installed or fails.
    """
    import graphviz

    source = dot_source(diagram)
    try:
        image: bytes = graphviz.Source(source).pipe(format=format)
    except graphviz.ExecutableNotFound as exc:
        raise DiagramError(
            f"cannot render {format}: Graphviz's dot was not found; {INSTALL_GRAPHVIZ}"
        ) from exc
    except graphviz.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace").strip()
        raise DiagramError(f"dot failed to render {format}: {detail}") from exc
    return _embed_source(image, source) if format == "svg" else image


def embedded_source(svg: bytes | str) -> str | None:
    """The DOT source :func:`render` embedded in an SVG, or ``None`` if it has none."""
    try:
        root = ElementTree.fromstring(svg)
    except ElementTree.ParseError:
        return None
    for element in root.iter():
        if element.tag.endswith("metadata") and element.get("id") == SOURCE_METADATA_ID:
            return element.text or ""
    return None


def _embed_source(svg: bytes, source: str) -> bytes:
    # The DOT source, not the drawing, is what --check compares: dot's output
    # varies with Graphviz's version and the fonts installed, the source does not.
    text = svg.decode()
    metadata = f'<metadata id="{SOURCE_METADATA_ID}">{escape(source, quote=False)}</metadata>\n'
    at = text.index(">", text.index("<svg")) + 1
    return (text[:at] + "\n" + metadata + text[at:].lstrip("\n")).encode()


def _digraph(diagram: Drawable) -> graphviz.Digraph:
    import graphviz

    path = diagram if isinstance(diagram, OrderPath) else None
    diff = diagram if isinstance(diagram, LifecycleDiff) else None
    graph = diagram if isinstance(diagram, LifecycleGraph) else diagram.graph
    title = "orderfsm lifecycle" if path is None else (path.title or "order path")
    title = title if diff is None else diff.title
    dot = graphviz.Digraph(
        "lifecycle",
        graph_attr={
            "label": title,
            "labelloc": "t",
            "fontname": f"{_FONT} Bold",
            "fontsize": "16",
            "rankdir": "TB",
            "newrank": "true",
            "nodesep": "0.5",
            "ranksep": "0.55",
            "splines": "spline",
            "compound": "true",
        },
        node_attr={"fontname": _FONT, "fontsize": "11", "color": _INK, "fontcolor": _INK},
        edge_attr={"fontname": _FONT, "fontsize": "9", "color": MUTED_INK, "fontcolor": _INK},
    )
    if diff is not None:
        diff_style.draw_legend(dot)
    dot.node(INITIAL_NODE, "", shape="point", width="0.18", color=_INK, id="initial")
    for group, states in graph.groups:
        fill, border = _BANDS[group]
        name = f"cluster_{group.name.lower()}"
        with dot.subgraph(name=name) as band:
            band.attr(
                label=group.value,
                labeljust="l",
                style="rounded,filled",
                fillcolor=fill,
                color=border,
                fontcolor=MUTED_INK,
                fontsize="11",
                id=name,
            )
            for state in states:
                band.node(state.name, **_node_attrs(graph, state, path, diff))
    first = next(s for s in graph.states if s.kind is StateKind.INITIAL)
    start = () if path is None else path.start
    label = padded("<BR/>".join(f"<B>step {n}</B>" for n in start)) if start else ""
    dot.edge(
        INITIAL_NODE,
        first.name,
        id="edge:initial",
        arrowsize="0.7",
        label=label,
        **taken_style(start),
    )
    taken = {} if path is None else path.taken
    for bundle in _bundles(graph.moves, diff):
        _draw_bundle(dot, bundle, taken, diff)
    if path is not None and path.signals:
        dot.node(SIGNALS_NODE, **_signals_attrs(path))
    return dot


def _node_attrs(
    graph: LifecycleGraph, state: DiagramState, path: OrderPath | None, diff: LifecycleDiff | None
) -> dict[str, Any]:
    taken = {} if path is None else path.taken
    internal = graph.internal_edges(state.name)
    columns = 2 if len(internal) > _ONE_COLUMN_UP_TO else 1
    span = f' COLSPAN="{columns}"'
    rows = [f"<TR><TD{span}><B>{escape(state.name)}</B></TD></TR>"]
    if diff is not None:
        rows += diff_style.state_rows(diff.of_state(state.name), span)
    if state.deadline_label:
        cell = label_cell(state.deadline_label, cell_id=f"deadline:{state.name}", extra=span)
        rows.append(f"<TR>{cell}</TR>")
    if internal or state.entry_effects:
        rows.append("<HR/>")
    for effect in state.entry_effects:
        rows.append(f"<TR>{label_cell(f'entry / {effect}', color=MUTED_INK, extra=span)}</TR>")
    height = -(-len(internal) // columns)
    for top in range(height):
        cells = []
        # Column-major, so each column reads down in table order.
        for edge in internal[top::height]:
            if diff is not None:
                cells.append(diff_style.internal_cell(diff.of_edge(edge)))
                continue
            steps = taken.get(edge, ())
            text = f"↻ {edge.label}" + (f" (step {step_numbers(steps)})" if steps else "")
            cells.append(label_cell(text, cell_id=edge.key, taken=bool(steps)))
        rows.append("<TR>\n" + "\n".join(cells) + "\n</TR>")
    attrs: dict[str, Any] = {
        "label": label_table(rows),
        "id": f"state:{state.name}",
        "tooltip": f"{state.name}: {state.meaning}",
        "margin": "0.12,0.06",
        "style": "filled" if state.kind is StateKind.TERMINAL else "rounded,filled",
        "shape": "doubleoctagon" if state.kind is StateKind.TERMINAL else "box",
        "fillcolor": "white",
    }
    if path is not None and state.name == path.current:
        attrs.update(fillcolor=_CURRENT, penwidth="3", color=PATH_INK)
    elif path is not None and state.name in path.visited:
        attrs.update(penwidth="2", color=PATH_INK)
    elif diff is not None:
        part = diff.of_state(state.name)
        attrs.update(style=diff_style.dashed(attrs["style"], part), **diff_style.state_style(part))
    return attrs


def _bundles(
    moves: tuple[DiagramEdge, ...], diff: LifecycleDiff | None
) -> list[tuple[str, tuple[DiagramEdge, ...]]]:
    """Edges that differ only in their source (and, in a diff, not in their change), in order.

    One transition of the table from several states ("accept from submitted,
    pending_payment or in_review") is drawn once: each source joins a junction
    point, and one labelled edge leaves it.
    """
    bundles: dict[tuple[str, str, tuple[str, ...], tuple[str, ...], object], list[DiagramEdge]]
    bundles = {}
    for edge in moves:
        mark = None if diff is None else diff.of_edge(edge)
        change = None if mark is None else (mark.change, mark.details)
        key = (edge.trigger, edge.dest, edge.guards, edge.effects, change)
        bundles.setdefault(key, []).append(edge)
    named: list[tuple[str, tuple[DiagramEdge, ...]]] = []
    for (trigger, dest, *_), edges in bundles.items():
        name = f"junction_{trigger}_{dest}"
        while any(name == taken for taken, _ in named):
            name += "_"
        named.append((name, tuple(edges)))
    return named


def _draw_bundle(
    dot: graphviz.Digraph,
    named: tuple[str, tuple[DiagramEdge, ...]],
    taken: Mapping[DiagramEdge, tuple[int, ...]],
    diff: LifecycleDiff | None,
) -> None:
    junction, bundle = named
    first = bundle[0]
    steps = tuple(n for edge in bundle for n in taken.get(edge, ()))
    label = edge_label(first, steps)
    style = taken_style(steps)
    if diff is not None:
        part = diff.of_edge(first)
        label, style = diff_style.edge_label(part), diff_style.edge_style(part.change)
    if len(bundle) == 1:
        dot.edge(first.source, first.dest, id=f"edge:{first.key}", label=label, **style)
        return
    dot.node(junction, "", shape="point", width="0.07", id=junction, **style)
    for edge in bundle:
        own = taken.get(edge, ())
        dot.edge(
            edge.source,
            junction,
            id=f"edge:{edge.key}",
            arrowhead="none",
            label=padded(f"<B>{step_numbers(own)}</B>") if own else "",
            **(taken_style(own) if diff is None else style),
        )
    dot.edge(junction, first.dest, id=f"bundle:{junction}", label=label, **style)


def _signals_attrs(path: OrderPath) -> dict[str, Any]:
    rows = ['<TR><TD ALIGN="LEFT"><B>signals that took no edge</B></TD></TR>']
    rows += [f"<TR>{label_cell(step.summary)}</TR>" for step in path.signals]
    return {
        "label": label_table(rows),
        "shape": "note",
        "style": "filled",
        "fillcolor": "#fff8e1",
        "color": "#c9a227",
        "id": "signals",
    }
