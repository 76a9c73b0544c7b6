"""The HTML-like labels of the Graphviz picture, and how a path's taken edges stand out.

:mod:`orderfsm.diagrams.dot` lays out the graph; this module writes the text
inside it: state tables, edge labels, and the colour, weight and ``class`` of
what an order's path took (so a test finds them in the DOT source).
"""

from __future__ import annotations

from html import escape

from orderfsm.diagrams.graph import DiagramEdge

MUTED_INK = "#666666"
"""Secondary text and edges not taken."""
PATH_INK = "#1565c0"
"""The colour of what an order's path took."""
TAKEN_CLASS = "taken"
"""The ``class`` of every edge (and junction) an order's path took."""
TAKEN_CELL = "#dbe9fb"
"""The background of an internal edge's cell when the order's path took it."""


def label_table(rows: list[str]) -> str:
    """One HTML-like label table, a row per line (a change is a small DOT diff)."""
    return (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">\n'
        + "\n".join(rows)
        + "\n</TABLE>>"
    )


def label_cell(
    text: str,
    *,
    cell_id: str | None = None,
    color: str | None = None,
    extra: str = "",
    taken: bool = False,
    struck: bool = False,
) -> str:
    """One left-aligned label cell: a taken one bold in the path's colour, a struck one struck."""
    body = f"<S>{escape(text)}</S>" if struck else escape(text)
    if taken:
        body, color, extra = f"<B>{body}</B>", PATH_INK, f"{extra} BGCOLOR={quoted(TAKEN_CELL)}"
    font = f'<FONT POINT-SIZE="9"{f" COLOR={quoted(color)}" if color else ""}>{body}</FONT>'
    ident = f" ID={quoted(cell_id)}" if cell_id else ""
    return f'<TD ALIGN="LEFT"{ident}{extra}>{font}</TD>'


def quoted(value: str) -> str:
    """An HTML attribute value, quoted and escaped."""
    return '"' + escape(value, quote=True) + '"'


def edge_label(edge: DiagramEdge, steps: tuple[int, ...]) -> str:
    """A transition's label: trigger, guards, effects, and the steps that took it."""
    lines = [escape(edge.trigger)]
    if edge.guards:
        lines.append(escape(f"[{', '.join(edge.guards)}]"))
    if edge.effects:
        lines.append(escape(f"/ {', '.join(edge.effects)}"))
    if steps:
        lines.insert(0, f"<B>step {step_numbers(steps)}</B>")
    return padded("<BR/>".join(lines))


def padded(text: str) -> str:
    """``text`` in a padded box, which keeps the edge (thick when taken) off the text."""
    return (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3">\n'
        f"<TR><TD>{text}</TD></TR>\n</TABLE>>"
    )


def taken_style(steps: tuple[int, ...]) -> dict[str, str]:
    """The attributes of an edge or junction an order's path took (none if not taken)."""
    if not steps:
        return {}
    return {"color": PATH_INK, "fontcolor": PATH_INK, "penwidth": "2.5", "class": TAKEN_CLASS}


def step_numbers(steps: tuple[int, ...]) -> str:
    """History step numbers as a comma-separated list."""
    return ", ".join(str(n) for n in steps)
