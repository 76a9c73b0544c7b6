"""The lifecycle table as a neutral graph that every renderer reads.

Renderers (DOT, Mermaid) never look at :mod:`orderfsm.fsm.lifecycle` directly:
they draw a :class:`LifecycleGraph`, so what a diagram shows is decided once,
here, in table order (which keeps generated files stable under review).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from orderfsm.diagrams.errors import DiagramError
from orderfsm.errors import InvalidDefinition
from orderfsm.fsm.checks import check_deadlines
from orderfsm.fsm.effects import EffectSpec
from orderfsm.fsm.lifecycle import LIFECYCLE, Edge, Lifecycle, StateGroup, StateKind
from orderfsm.fsm.states import OrderState

DEADLINE_MARK = "◷"
"""Marks a state's deadline in every diagram (a clock face DejaVu Sans has; ⏱ is in few fonts)."""
_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


@dataclass(frozen=True, slots=True)
class DiagramState:
    """A state as drawn: name, role, band, meaning and the effects of entering it."""

    name: str
    kind: StateKind
    group: StateGroup
    meaning: str
    entry_effects: tuple[str, ...] = ()
    deadline: timedelta | None = None
    """How long an order may wait here before it counts as stuck (``None``: no deadline)."""

    @property
    def deadline_label(self) -> str | None:
        """``◷ stuck after 15m``, as every diagram writes the deadline; ``None`` without one."""
        if self.deadline is None:
            return None
        return f"{DEADLINE_MARK} stuck after {human_duration(self.deadline)}"


@dataclass(frozen=True, slots=True)
class DiagramEdge:
    """One declared edge as drawn.

    An internal edge (``internal=True``) records DR's news without changing the
    state; its ``dest`` equals its ``source``. ``disputed`` is ``True`` when the
    edge raises the dispute flag, ``False`` when it clears it.
    """

    source: str
    dest: str
    trigger: str
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    internal: bool = False
    disputed: bool | None = None

    @property
    def key(self) -> str:
        """A stable identifier, unique in the table: ``source:trigger:dest``."""
        return f"{self.source}:{self.trigger}:{self.dest}"

    @property
    def label(self) -> str:
        """``trigger [guard, ...] / effect, ...`` (dispute flag changes in parentheses)."""
        text = self.trigger
        if self.guards:
            text += f" [{', '.join(self.guards)}]"
        if self.disputed is not None:
            text += " (sets disputed)" if self.disputed else " (clears disputed)"
        if self.effects:
            text += f" / {', '.join(self.effects)}"
        return text


@dataclass(frozen=True, slots=True)
class LifecycleGraph:
    """Every state and every declared edge, in table order."""

    states: tuple[DiagramState, ...]
    edges: tuple[DiagramEdge, ...]

    def state(self, name: str) -> DiagramState:
        """The state called ``name``."""
        for state in self.states:
            if state.name == name:
                return state
        raise KeyError(name)

    @property
    def groups(self) -> tuple[tuple[StateGroup, tuple[DiagramState, ...]], ...]:
        """The bands top to bottom, each with its states in table order."""
        return tuple(
            (group, members)
            for group in StateGroup
            if (members := tuple(s for s in self.states if s.group is group))
        )

    @property
    def moves(self) -> tuple[DiagramEdge, ...]:
        """The edges that change the state."""
        return tuple(e for e in self.edges if not e.internal)

    def internal_edges(self, state: str) -> tuple[DiagramEdge, ...]:
        """The internal edges of ``state`` (news recorded without leaving it)."""
        return tuple(e for e in self.edges if e.internal and e.source == state)

    def find_edge(self, source: str, trigger: str, dest: str | None) -> DiagramEdge | None:
        """The declared edge for this step (``dest`` ``None`` or ``source``: internal)."""
        internal = dest is None or dest == source
        candidates = (e for e in self.edges if e.source == source and e.trigger == trigger)
        for edge in candidates:
            if edge.internal == internal and (internal or edge.dest == dest):
                return edge
        return None


def human_duration(wait: timedelta) -> str:
    """A duration as people write it: ``15m``, ``3d``, ``1h 30m`` (whole seconds)."""
    rest = int(wait.total_seconds())
    parts = []
    for unit, seconds in _UNITS:
        amount, rest = divmod(rest, seconds)
        if amount:
            parts.append(f"{amount}{unit}")
    return " ".join(parts) or "0s"


def effect_label(name: str, when: str | None = None) -> str:
    """How diagrams write an effect: its name, and its condition in parentheses."""
    return name if when is None else f"{name} ({when})"


def _effect_labels(specs: tuple[EffectSpec, ...]) -> tuple[str, ...]:
    return tuple(effect_label(s.name.value, s.when.name if s.when else None) for s in specs)


def _edge(edge: Edge) -> DiagramEdge:
    return DiagramEdge(
        source=edge.source.value,
        dest=edge.target.value,
        trigger=edge.trigger.value,
        guards=tuple(g.name for g in edge.guards),
        effects=_effect_labels(edge.effects),
        internal=edge.internal,
        disputed=edge.disputed,
    )


def graph_from_lifecycle(
    lifecycle: Lifecycle = LIFECYCLE,
    *,
    deadlines: Mapping[OrderState, timedelta] | None = None,
) -> LifecycleGraph:
    """The neutral graph of ``lifecycle``: what every diagram of it shows.

    ``deadlines`` overrides the table's for some states, as a host does
    (:func:`orderfsm.service.stuck.deadlines_with`), so a diagram shows the
    deadlines that host really runs with.
    """
    limits = {**lifecycle.deadlines, **(deadlines or {})}
    try:
        check_deadlines(lifecycle, limits)
    except InvalidDefinition as exc:
        raise DiagramError(str(exc)) from exc
    states = tuple(
        DiagramState(
            name=spec.state.value,
            kind=spec.kind,
            group=spec.group,
            meaning=spec.meaning,
            entry_effects=_effect_labels(spec.on_enter),
            deadline=limits.get(spec.state),
        )
        for spec in lifecycle.states
    )
    return LifecycleGraph(states, tuple(_edge(e) for e in lifecycle.edges()))
