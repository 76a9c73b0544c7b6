"""Diagram files: formats, writing them, and telling whether one is stale.

A committed diagram is *stale* when regenerating it from the table would
change what it says. For DOT and Mermaid that is a plain text comparison. For
SVG it is a comparison of the DOT source that :func:`~orderfsm.diagrams.dot.render`
embeds in the SVG's ``<metadata>``: the drawing ``dot`` makes from one source
differs between Graphviz versions and installed fonts (and carries a version
comment), so comparing drawings would call a file stale on one machine and
fresh on the next, while the source it was drawn from does not vary. Checking
an SVG therefore needs no ``dot`` binary. A PNG has nothing to compare and
cannot be checked.
"""

from __future__ import annotations

import difflib
from enum import StrEnum
from pathlib import Path

from orderfsm.diagrams.dot import Drawable, dot_source, embedded_source, render
from orderfsm.diagrams.errors import DiagramError
from orderfsm.diagrams.graph import LifecycleGraph
from orderfsm.diagrams.mermaid import mermaid_source
from orderfsm.diagrams.path import OrderPath

DIFF_LINES = 40
DIFF_WIDTH = 300


class Format(StrEnum):
    """The formats a diagram can be written in."""

    DOT = "dot"
    SVG = "svg"
    PNG = "png"
    MERMAID = "mermaid"

    @property
    def binary(self) -> bool:
        """True when the format is not text (it cannot go to a terminal)."""
        return self is Format.PNG

    @classmethod
    def for_path(cls, path: Path) -> Format | None:
        """The format a file's suffix names, or ``None`` for an unknown suffix."""
        return _SUFFIXES.get(path.suffix.lower())


_SUFFIXES = {
    ".dot": Format.DOT,
    ".gv": Format.DOT,
    ".svg": Format.SVG,
    ".png": Format.PNG,
    ".mmd": Format.MERMAID,
    ".mermaid": Format.MERMAID,
}


def generate(diagram: Drawable, format: Format) -> bytes:
    """The diagram in ``format``; SVG and PNG need Graphviz's ``dot``."""
    if format is Format.DOT:
        return dot_source(diagram).encode()
    if format is Format.MERMAID:
        return mermaid_source(diagram).encode()
    return render(diagram, "svg" if format is Format.SVG else "png")


def write_diagram(diagram: Drawable, path: Path) -> Format:
    """Write the diagram to ``path`` in the format its suffix names; return that format."""
    format = Format.for_path(path)
    if format is None:
        known = ", ".join(sorted(_SUFFIXES))
        raise DiagramError(f"cannot tell the format of {path}: use one of {known}")
    content = generate(diagram, format)
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise DiagramError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return format


def stale_diff(path: Path, diagram: LifecycleGraph | OrderPath) -> list[str]:
    """A short unified diff of ``path`` against the diagram now; empty when up to date."""
    format = Format.for_path(path)
    if format is None or format.binary:
        raise DiagramError(f"cannot check {path}: only .dot, .svg and .mmd files can be checked")
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise DiagramError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if format is Format.SVG:
        stored = embedded_source(content)
        if stored is None:
            return [f"{path} carries no embedded DOT source: regenerate it with orderfsm diagram"]
        fresh = dot_source(diagram)
    else:
        stored = content.decode(errors="replace")
        fresh = generate(diagram, format).decode()
    if stored == fresh:
        return []
    diff = difflib.unified_diff(
        stored.splitlines(),
        fresh.splitlines(),
        fromfile=str(path),
        tofile="generated from the lifecycle table",
        lineterm="",
    )
    lines = [_shorten(line) for line in diff]
    if len(lines) > DIFF_LINES:
        lines = [*lines[:DIFF_LINES], f"... {len(lines) - DIFF_LINES} more diff lines"]
    return lines


def _shorten(line: str) -> str:
    # DOT puts a whole HTML label on one line; a diff should still fit a terminal.
    return line if len(line) <= DIFF_WIDTH else line[: DIFF_WIDTH - 3] + "..."
