"""Static checks of a lifecycle table: a broken table fails fast and precisely.

:func:`check_lifecycle` runs when a machine is built (and in the tests); the
first rule broken raises one :class:`~orderfsm.errors.InvalidDefinition`
naming the state or edge at fault.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from datetime import timedelta

from orderfsm.errors import InvalidDefinition
from orderfsm.fsm.effects import EffectName, EffectSpec
from orderfsm.fsm.lifecycle import Edge, Lifecycle
from orderfsm.fsm.states import OrderState, Trigger


def check_lifecycle(lifecycle: Lifecycle) -> None:
    """Raise :class:`InvalidDefinition` unless ``lifecycle`` obeys every rule."""
    declared = _declared_states(lifecycle)
    edges = list(lifecycle.edges())
    _check_edges_use_declared_states(edges, declared)
    initial = _single_initial(lifecycle)
    moves = _moves(edges)
    _check_reachable(initial, declared, moves)
    _check_terminals_absorb(lifecycle, edges)
    _check_terminal_reachable(lifecycle, declared, moves)
    _check_deterministic(edges)
    _check_one_destination_per_trigger(edges)
    _check_effect_vocabulary(lifecycle, edges)
    check_deadlines(lifecycle, lifecycle.deadlines)


def check_deadlines(lifecycle: Lifecycle, deadlines: Mapping[OrderState, timedelta]) -> None:
    """Every deadline names a declared, non-terminal state and a positive duration."""
    declared = {spec.state for spec in lifecycle.states}
    for state, wait in deadlines.items():
        if state not in declared or state in lifecycle.terminal_states:
            raise InvalidDefinition(f"deadline for {state}: only a live state can be stuck")
        if wait <= timedelta(0):
            raise InvalidDefinition(f"deadline for {state} must be positive, not {wait}")


def _declared_states(lifecycle: Lifecycle) -> set[OrderState]:
    seen: set[OrderState] = set()
    for spec in lifecycle.states:
        if spec.state in seen:
            raise InvalidDefinition(f"state {spec.state} is declared twice")
        seen.add(spec.state)
    return seen


def _check_edges_use_declared_states(edges: Iterable[Edge], declared: set[OrderState]) -> None:
    for edge in edges:
        for end in (edge.source, edge.dest):
            if end is not None and end not in declared:
                raise InvalidDefinition(f"edge {_name(edge)} uses undeclared state {end}")


def _single_initial(lifecycle: Lifecycle) -> OrderState:
    initial = lifecycle.initial_states
    if len(initial) != 1:
        found = ", ".join(initial) or "none"
        raise InvalidDefinition(f"exactly one initial state is required, found: {found}")
    return initial[0]


def _moves(edges: Iterable[Edge]) -> Mapping[OrderState, set[OrderState]]:
    moves: dict[OrderState, set[OrderState]] = defaultdict(set)
    for edge in edges:
        if edge.dest is not None:
            moves[edge.source].add(edge.dest)
    return moves


def reachable_from(
    start: OrderState, moves: Mapping[OrderState, set[OrderState]]
) -> set[OrderState]:
    """Every state reachable from ``start`` (itself included) along ``moves``."""
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in moves.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _check_reachable(
    initial: OrderState, declared: set[OrderState], moves: Mapping[OrderState, set[OrderState]]
) -> None:
    unreachable = declared - reachable_from(initial, moves)
    if unreachable:
        names = ", ".join(sorted(unreachable))
        raise InvalidDefinition(f"state(s) unreachable from {initial}: {names}")


def _check_terminals_absorb(lifecycle: Lifecycle, edges: Iterable[Edge]) -> None:
    for edge in edges:
        if edge.source in lifecycle.terminal_states:
            raise InvalidDefinition(f"terminal state {edge.source} has a way out: {_name(edge)}")


def _check_terminal_reachable(
    lifecycle: Lifecycle, declared: set[OrderState], moves: Mapping[OrderState, set[OrderState]]
) -> None:
    terminals = lifecycle.terminal_states
    if not terminals:
        raise InvalidDefinition("the lifecycle has no terminal state")
    for state in sorted(declared - terminals):
        if not reachable_from(state, moves) & terminals:
            raise InvalidDefinition(f"state {state} cannot reach any terminal state (a trap)")


def _exclusive(a: Edge, b: Edge) -> bool:
    return any(
        ga.name in gb.excludes or gb.name in ga.excludes for ga in a.guards for gb in b.guards
    )


def _check_deterministic(edges: Iterable[Edge]) -> None:
    by_key: dict[tuple[OrderState, Trigger], list[Edge]] = defaultdict(list)
    for edge in edges:
        for other in by_key[(edge.source, edge.trigger)]:
            if not _exclusive(edge, other):
                raise InvalidDefinition(
                    f"edges {_name(other)} and {_name(edge)} share a source and trigger "
                    "and their guards do not exclude each other"
                )
        by_key[(edge.source, edge.trigger)].append(edge)


def _check_one_destination_per_trigger(edges: Iterable[Edge]) -> None:
    dest_of: dict[Trigger, OrderState | None] = {}
    for edge in edges:
        known = dest_of.setdefault(edge.trigger, edge.dest)
        if known != edge.dest:
            raise InvalidDefinition(
                f"trigger {edge.trigger} leads to both {known or 'no change'} and "
                f"{edge.dest or 'no change'} ({_name(edge)}); a trigger names one destination"
            )


def _check_effect_vocabulary(lifecycle: Lifecycle, edges: Iterable[Edge]) -> None:
    places: list[tuple[str, tuple[EffectSpec, ...]]] = [
        (f"state {spec.state}", spec.on_enter) for spec in lifecycle.states
    ]
    places += [(f"edge {_name(edge)}", edge.effects) for edge in edges]
    places.append(("an overdue order", lifecycle.on_overdue))
    for overdue in lifecycle.on_overdue:
        if overdue.when is not None:
            raise InvalidDefinition(
                f"an overdue order's {overdue.label} has a condition: no signal (no facts) "
                "comes with a deadline passing"
            )
    overdue_names = {effect.name for effect in lifecycle.on_overdue}
    for where, effects in places:
        for effect in effects:
            if not isinstance(effect.name, EffectName):
                raise InvalidDefinition(
                    f"{where} emits {effect.name!r}, which is not in the effect vocabulary"
                )
            if effect.name in overdue_names and effects is not lifecycle.on_overdue:
                raise InvalidDefinition(
                    f"{where} emits {effect.name}, an overdue order's effect: no transition "
                    "emits it (the stuck scan builds its payload)"
                )


def _name(edge: Edge) -> str:
    return f"{edge.source} --{edge.trigger}--> {edge.dest or edge.source}"
