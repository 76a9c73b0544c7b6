"""How a lifecycle diff looks in Graphviz: colours, dashes, marks and the legend.

Added parts are green and thick, removed ones red and dashed (struck through
inside a state), changed ones amber with what changed ("guards: a → b") in
their label. Colour is never the only cue: every mark also carries its sign
(``+``, ``-``, ``~``), so the picture reads in grey too. Each edge statement
keeps its ``id`` (``edge:<key>``) and gets a ``class`` (``added``, ``removed``,
``changed``) that Graphviz copies into the SVG, so a test finds every part.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING

from orderfsm.diagrams.diff import Change, EdgeDiff, StateDiff
from orderfsm.diagrams.labels import label_cell, label_table, padded

if TYPE_CHECKING:
    import graphviz

ADDED_INK = "#2e7d32"
REMOVED_INK = "#c62828"
CHANGED_INK = "#b26a00"
INK: Mapping[Change, str] = {
    Change.ADDED: ADDED_INK,
    Change.REMOVED: REMOVED_INK,
    Change.CHANGED: CHANGED_INK,
}
"""The colour of each kind of change (the same parts are drawn as usual)."""
LEGEND_NODE = "__legend__"

_THICK = "2.5"
_MINUS = "\u2212"  # a true minus sign: a hyphen reads as a dash of the line beside it


def sign(change: Change) -> str:
    """The mark a label starts with (removed: a true minus sign, U+2212)."""
    return _MINUS if change is Change.REMOVED else change.sign


def state_style(part: StateDiff) -> dict[str, str]:
    """A state box's attributes for its change (none when it is the same)."""
    ink = INK.get(part.change)
    if ink is None:
        return {}
    attrs = {"color": ink, "penwidth": _THICK, "class": part.change.value}
    if part.change is Change.REMOVED:
        attrs["fontcolor"] = ink
    return attrs


def dashed(style: str, part: StateDiff) -> str:
    """A state's ``style`` with ``dashed`` added when the head removed it."""
    return f"{style},dashed" if part.change is Change.REMOVED else style


def state_rows(part: StateDiff, span: str) -> list[str]:
    """Rows under a changed state's name: its mark, then each change in amber."""
    if part.change is Change.SAME:
        return []
    head = f"{sign(part.change)} {part.change.value} state"
    rows = [f"<TR>{label_cell(head, color=INK[part.change], extra=span)}</TR>"]
    rows += [
        f"<TR>{label_cell(f'~ {detail}', color=CHANGED_INK, extra=span)}</TR>"
        for detail in part.details
    ]
    return rows


def internal_cell(part: EdgeDiff) -> str:
    """The cell of an internal edge inside its state, marked by its change."""
    edge = part.edge
    if part.change is Change.SAME:
        return label_cell(f"↻ {edge.label}", cell_id=edge.key)
    said = f" ({'; '.join(part.details)})" if part.details else ""
    return label_cell(
        f"{sign(part.change)} ↻ {edge.label}{said}",
        cell_id=edge.key,
        color=INK[part.change],
        struck=part.change is Change.REMOVED,
    )


def edge_style(change: Change) -> dict[str, str]:
    """An edge's (or junction's) attributes for its change (none when it is the same)."""
    ink = INK.get(change)
    if ink is None:
        return {}
    attrs = {"color": ink, "fontcolor": ink, "penwidth": _THICK, "class": change.value}
    if change is Change.REMOVED:
        attrs.update(style="dashed", penwidth="2")
    return attrs


def edge_label(part: EdgeDiff) -> str:
    """A move's label: its sign and trigger, guards, effects, then what changed in amber."""
    edge = part.edge
    mark = "" if part.change is Change.SAME else f"{sign(part.change)} "
    lines = [escape(f"{mark}{edge.trigger}")]
    if edge.guards:
        lines.append(escape(f"[{', '.join(edge.guards)}]"))
    if edge.effects:
        lines.append(escape(f"/ {', '.join(edge.effects)}"))
    lines += [
        f'<FONT COLOR="{CHANGED_INK}">{escape(f"~ {detail}")}</FONT>' for detail in part.details
    ]
    return padded("<BR/>".join(lines))


def draw_legend(dot: graphviz.Digraph) -> None:
    """A small key beside the title: what green, red dashed and amber mean."""
    samples = [
        (Change.ADDED, "━━━  + added"),
        (Change.REMOVED, f"╍╍╍  {_MINUS} removed (dashed)"),
        (Change.CHANGED, "━━━  ~ changed: guard / effect a → b"),
    ]
    rows = ['<TR><TD ALIGN="LEFT"><B>legend</B></TD></TR>']
    rows += [
        f"<TR>{label_cell(text, cell_id=f'legend:{change.value}', color=INK[change])}</TR>"
        for change, text in samples
    ]
    dot.node(
        LEGEND_NODE,
        label_table(rows),
        shape="box",
        style="rounded",
        color="#c8c8c8",
        margin="0.12,0.06",
        id="legend",
    )
