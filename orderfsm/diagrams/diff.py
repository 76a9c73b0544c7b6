"""What changed between two lifecycle graphs, for reviewers: one picture and a short summary.

:func:`diff_graphs` compares a *base* (a file or a git revision's export) with
the *head* (the table now). An edge is the same edge when its source, trigger,
target and internal flag match; then a change of its guards, effects or
dispute flag makes it *changed* rather than removed and added. A state is the
same state by name; a change of its kind, band, entry effects, deadline or
meaning makes it changed.

The :attr:`LifecycleDiff.graph` to draw is the head's graph plus what the base
had and the head dropped, so a removed state or edge is drawn (dashed) where
it was. The renderers ask :meth:`LifecycleDiff.of_state` and
:meth:`LifecycleDiff.of_edge` how to mark each part.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from orderfsm.diagrams.graph import DiagramEdge, DiagramState, LifecycleGraph, human_duration

NO_CHANGES = "no changes"
ARROW = "→"

_T = TypeVar("_T")
_W = TypeVar("_W")


class Change(StrEnum):
    """How one state or edge differs between the base and the head."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    SAME = "same"

    @property
    def sign(self) -> str:
        """``+``, ``-``, ``~`` (or a blank for the same), as the summary and the labels mark it."""
        return {"added": "+", "removed": "-", "changed": "~", "same": " "}[self.value]


@dataclass(frozen=True, slots=True)
class StateDiff:
    """One state of the merged graph, how it changed, and what (``deadline: 15m → 30m``)."""

    state: DiagramState
    change: Change
    details: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EdgeDiff:
    """One edge of the merged graph, how it changed, and what (``guards: a → a, b``)."""

    edge: DiagramEdge
    change: Change
    details: tuple[str, ...] = ()

    @property
    def arrow(self) -> str:
        """``accepted --cancel--> cancelled`` (internal edges say so)."""
        edge = self.edge
        text = f"{edge.source} --{edge.trigger}--> {edge.dest}"
        return f"{text} (internal)" if edge.internal else text


@dataclass(frozen=True, slots=True)
class LifecycleDiff:
    """The base and head graphs, every state and edge of both with its change, and a title."""

    base_name: str
    states: tuple[StateDiff, ...]
    edges: tuple[EdgeDiff, ...]

    @property
    def graph(self) -> LifecycleGraph:
        """The graph to draw: the head's states and edges, then those only the base had."""
        return LifecycleGraph(
            tuple(s.state for s in self.states), tuple(e.edge for e in self.edges)
        )

    @property
    def title(self) -> str:
        """The picture's title."""
        return f"lifecycle changes since {self.base_name}"

    @property
    def changed(self) -> bool:
        """Whether anything differs."""
        changes = [s.change for s in self.states] + [e.change for e in self.edges]
        return any(change is not Change.SAME for change in changes)

    def of_state(self, name: str) -> StateDiff:
        """How the state ``name`` changed."""
        return next(s for s in self.states if s.state.name == name)

    def of_edge(self, edge: DiagramEdge) -> EdgeDiff:
        """How ``edge`` (one of :attr:`graph`'s) changed."""
        return next(e for e in self.edges if e.edge == edge)

    def summary(self) -> tuple[str, ...]:
        """The change as Markdown bullets for a pull request; ``- no changes`` when none."""
        lines = [
            _bullet(s.change, f"state {s.state.name}", s.details)
            for s in self.states
            if s.change is not Change.SAME
        ]
        lines += [_bullet(e.change, f"edge {e.arrow}", e.details) for e in self.edges]
        lines = [line for line in lines if line]
        return tuple(lines) or (f"- {NO_CHANGES}",)


def diff_graphs(base: LifecycleGraph, head: LifecycleGraph, base_name: str) -> LifecycleDiff:
    """How ``head`` differs from ``base`` (named ``base_name`` in titles)."""
    states = _merge(
        base.states,
        head.states,
        key=lambda s: s.name,
        details=_state_details,
        wrap=StateDiff,
    )
    edges = _merge(
        base.edges,
        head.edges,
        key=lambda e: (e.source, e.trigger, e.dest, e.internal),
        details=_edge_details,
        wrap=EdgeDiff,
    )
    return LifecycleDiff(base_name, states, edges)


def _merge(
    base: Sequence[_T],
    head: Sequence[_T],
    *,
    key: Callable[[_T], object],
    details: Callable[[_T, _T], tuple[str, ...]],
    wrap: Callable[[_T, Change, tuple[str, ...]], _W],
) -> tuple[_W, ...]:
    before = {key(item): item for item in base}
    now = {key(item) for item in head}
    merged = []
    for item in head:
        old = before.get(key(item))
        if old is None:
            merged.append(wrap(item, Change.ADDED, ()))
            continue
        found = details(old, item)
        merged.append(wrap(item, Change.CHANGED if found else Change.SAME, found))
    merged += [wrap(item, Change.REMOVED, ()) for item in base if key(item) not in now]
    return tuple(merged)


def _state_details(old: DiagramState, new: DiagramState) -> tuple[str, ...]:
    found = [
        _was("kind", old.kind.value, new.kind.value),
        _was("band", old.group.value, new.group.value),
        _was("entry effects", _listed(old.entry_effects), _listed(new.entry_effects)),
        _was("deadline", _deadline(old), _deadline(new)),
        "meaning changed" if old.meaning != new.meaning else "",
    ]
    return tuple(f for f in found if f)


def _edge_details(old: DiagramEdge, new: DiagramEdge) -> tuple[str, ...]:
    found = [
        _was("guards", _listed(old.guards), _listed(new.guards)),
        _was("effects", _listed(old.effects), _listed(new.effects)),
        _was("dispute flag", _dispute(old.disputed), _dispute(new.disputed)),
    ]
    return tuple(f for f in found if f)


def _was(what: str, old: str, new: str) -> str:
    return "" if old == new else f"{what}: {old} {ARROW} {new}"


def _listed(names: tuple[str, ...]) -> str:
    return ", ".join(names) or "none"


def _deadline(state: DiagramState) -> str:
    return "none" if state.deadline is None else human_duration(state.deadline)


def _dispute(disputed: bool | None) -> str:
    return {None: "unchanged", True: "sets", False: "clears"}[disputed]


def _bullet(change: Change, what: str, details: tuple[str, ...]) -> str:
    if change is Change.SAME:
        return ""
    said = f": {'; '.join(details)}" if details else ""
    # A code span: '+' and '-' would start nested Markdown lists, and names hold '_'.
    return f"- `{change.sign} {what}{said}`"
