"""One order's path through the lifecycle graph, read from its history.

Steps are numbered by their position in the order's history (1-based, as
``orderfsm show`` lists them), so "step 4" means the same signal in the
diagram, in the history and in a support ticket. Applied steps are matched to
the declared edge they took; everything else (stale, duplicate, terminal,
refused, parked, or an applied step the table no longer declares) is listed
beside the graph instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from orderfsm.diagrams.errors import DiagramError
from orderfsm.diagrams.graph import DiagramEdge, LifecycleGraph, graph_from_lifecycle
from orderfsm.fsm.lifecycle import StateKind
from orderfsm.fsm.outcomes import Outcome


class HistoryLike(Protocol):
    """What a diagram needs of one history entry (engine rows and test doubles fit)."""

    @property
    def trigger(self) -> str:
        """The trigger the signal asked for."""

    @property
    def from_state(self) -> str | None:
        """The state before the signal."""

    @property
    def to_state(self) -> str | None:
        """The state after the signal (``None`` or equal to ``from_state``: unchanged)."""

    @property
    def outcome(self) -> str:
        """One of :class:`~orderfsm.fsm.outcomes.Outcome`'s values."""

    @property
    def reason(self) -> str | None:
        """Why the outcome, in words."""

    @property
    def event_type(self) -> str | None:
        """The DR event type behind the signal, when it came from a webhook."""


@dataclass(frozen=True, slots=True)
class PathStep:
    """One history entry, numbered, with the declared edge it took if it was applied."""

    number: int
    trigger: str
    from_state: str | None
    to_state: str | None
    outcome: str
    reason: str | None
    event_type: str | None
    edge: DiagramEdge | None
    starts: bool = False
    """True for the entry that created the order in the initial state (``submit``)."""

    @property
    def summary(self) -> str:
        """One line for the list of signals beside the graph."""
        text = f"{self.number}. {self.trigger}"
        if self.event_type:
            text += f" ({self.event_type})"
        if self.outcome == Outcome.APPLIED and self.edge is None:
            text += f": applied {self.from_state} -> {self.to_state}, not a declared edge"
        else:
            text += f": {self.outcome}"
        if self.reason:
            text += f" - {self.reason}"
        return text


@dataclass(frozen=True, slots=True)
class OrderPath:
    """The lifecycle graph plus one order's numbered steps and its current state."""

    graph: LifecycleGraph
    current: str
    steps: tuple[PathStep, ...]
    title: str | None = None

    @property
    def taken(self) -> Mapping[DiagramEdge, tuple[int, ...]]:
        """Each declared edge the order took, with the step numbers that took it."""
        taken: dict[DiagramEdge, tuple[int, ...]] = {}
        for step in self.steps:
            if step.edge is not None:
                taken[step.edge] = (*taken.get(step.edge, ()), step.number)
        return taken

    @property
    def visited(self) -> frozenset[str]:
        """The states the order has been in, the current one included."""
        seen = {self.current}
        for edge in self.taken:
            seen.update((edge.source, edge.dest))
        return frozenset(seen)

    @property
    def start(self) -> tuple[int, ...]:
        """The step numbers that created the order (drawn on the initial arrow)."""
        return tuple(step.number for step in self.steps if step.starts)

    @property
    def signals(self) -> tuple[PathStep, ...]:
        """Steps that neither created the order nor took a declared edge: listed beside it."""
        return tuple(step for step in self.steps if step.edge is None and not step.starts)


def order_path(
    history: Iterable[HistoryLike],
    current: str,
    *,
    graph: LifecycleGraph | None = None,
    title: str | None = None,
) -> OrderPath:
    """The path of one order, from its history (oldest first) and its current state."""
    graph = graph_from_lifecycle() if graph is None else graph
    _known_state(graph, str(current))
    initial = {s.name for s in graph.states if s.kind is StateKind.INITIAL}
    steps = []
    for number, entry in enumerate(history, start=1):
        applied = entry.outcome == Outcome.APPLIED
        edge = None
        if applied and entry.from_state is not None:
            edge = graph.find_edge(str(entry.from_state), str(entry.trigger), _str(entry.to_state))
        starts = applied and entry.from_state is None and _str(entry.to_state) in initial
        steps.append(
            PathStep(
                number=number,
                trigger=str(entry.trigger),
                from_state=_str(entry.from_state),
                to_state=_str(entry.to_state),
                outcome=str(entry.outcome),
                reason=entry.reason,
                event_type=entry.event_type,
                edge=edge,
                starts=starts,
            )
        )
    return OrderPath(graph, str(current), tuple(steps), title)


def _str(value: str | None) -> str | None:
    # StrEnum members arrive from the engine; diagrams compare plain strings.
    return None if value is None else str(value)


def _known_state(graph: LifecycleGraph, name: str) -> None:
    try:
        graph.state(name)
    except KeyError:
        raise DiagramError(f"current state {name!r} is not a state of the lifecycle") from None
