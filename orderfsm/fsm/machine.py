"""The lifecycle table as one ``transitions.Machine``, behind a typed facade.

One machine serves every order of the process (``model=None``,
``auto_transitions=False``): triggers are fired on plain order objects through
``machine.events[name].trigger(order, ...)``, never by ``add_model`` per order
and never bound to a pydantic/SQLModel instance. Callers see enums and
:class:`Applied` / :class:`Refused` values instead of strings and booleans.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from transitions import Machine

from orderfsm.fsm.checks import check_lifecycle, reachable_from
from orderfsm.fsm.fired import Applied, Fired, Refusal, Refused
from orderfsm.fsm.firing import EdgeOutcomes, Firing, condition, recorder
from orderfsm.fsm.guards import Verdict
from orderfsm.fsm.lifecycle import LIFECYCLE, Edge, Lifecycle
from orderfsm.fsm.signals import Facts
from orderfsm.fsm.states import OrderState, Trigger

__all__ = [
    "Applied",
    "Fired",
    "InMemoryOrder",
    "LifecycleMachine",
    "NO_FACTS",
    "OrderLike",
    "Refusal",
    "Refused",
]


class OrderLike(Protocol):
    """What the machine needs of an order: a state and the dispute flag."""

    state: OrderState
    disputed: bool


@dataclass(slots=True)
class InMemoryOrder:
    """The smallest order the machine can drive (tests, benchmarks, what-ifs)."""

    state: OrderState = OrderState.SUBMITTED
    disputed: bool = False


NO_FACTS = Facts()
"""Facts of a signal that tells nothing beyond its trigger."""


class LifecycleMachine:
    """Fires lifecycle triggers on orders; build one per process and share it."""

    def __init__(self, lifecycle: Lifecycle = LIFECYCLE) -> None:
        check_lifecycle(lifecycle)
        self.lifecycle = lifecycle
        edges = list(lifecycle.edges())
        self._terminal = lifecycle.terminal_states
        self._edges: dict[tuple[OrderState, Trigger], tuple[Edge, ...]] = {}
        self._outcomes: dict[Edge, EdgeOutcomes] = {}
        for edge in edges:
            key = (edge.source, edge.trigger)
            self._edges[key] = (*self._edges.get(key, ()), edge)
            on_enter = () if edge.dest is None else lifecycle.spec(edge.dest).on_enter
            self._outcomes[edge] = EdgeOutcomes(edge, edge.effects + on_enter)
        self._dest: dict[Trigger, OrderState | None] = {e.trigger: e.dest for e in edges}
        self._moves: dict[OrderState, set[OrderState]] = {}
        for edge in edges:
            if edge.dest is not None:
                self._moves.setdefault(edge.source, set()).add(edge.dest)
        self._reachable = {
            state: frozenset(reachable_from(state, self._moves)) for state in OrderState
        }
        # plan() is a pure function of the table: (state, trigger, DR's state
        # when the trigger is internal) -> plan, remembered once computed.
        self._plans: dict[
            tuple[OrderState, Trigger, OrderState | None], tuple[Trigger, ...] | Refused
        ] = {}
        self._machine = Machine(
            model=None,
            states=[spec.state for spec in lifecycle.states],
            initial=lifecycle.initial_states[0],
            transitions=[
                {
                    "trigger": edge.trigger.value,
                    "source": edge.source,
                    "dest": edge.dest,
                    "conditions": [condition(g) for g in edge.guards],
                    # Only edges sharing a source and trigger need to say which
                    # one ran; the others cost nothing extra per firing.
                    "after": [recorder(edge)]
                    if len(self._edges[(edge.source, edge.trigger)]) > 1
                    else [],
                }
                for edge in edges
            ],
            auto_transitions=False,
            send_event=False,
        )
        self._events = {t: self._machine.events[t.value] for t in self._dest}

    @property
    def initial(self) -> OrderState:
        """The state every new order starts in."""
        return self.lifecycle.initial_states[0]

    @property
    def raw(self) -> Machine:
        """The underlying ``transitions.Machine`` (benchmarks compare against it)."""
        return self._machine

    def is_terminal(self, state: OrderState) -> bool:
        """True when no trigger leaves ``state``."""
        return state in self._terminal

    def destination(self, trigger: Trigger) -> OrderState | None:
        """Where ``trigger`` leads (``None``: it never changes the state)."""
        return self._dest.get(trigger)

    def fire(
        self,
        order: OrderLike,
        trigger: Trigger,
        facts: Facts = NO_FACTS,
        *,
        vouched: bool = False,
    ) -> Fired:
        """Fire one trigger along a declared edge; a refusal leaves ``order`` untouched."""
        source = order.state
        edges = self._edges.get((source, trigger))
        if edges is None:
            if source in self._terminal:
                return Refused(trigger, source, Refusal.TERMINAL, f"{source} is terminal")
            return Refused(
                trigger, source, Refusal.NO_SUCH_EDGE, f"no {trigger} edge from {source}"
            )
        firing = Firing(facts, vouched)
        if not self._events[trigger].trigger(order, firing):
            guard, verdict = firing.failed or (None, Verdict(False, "no edge's guards passed"))
            named = f"{guard.name}: {verdict.reason}" if guard else verdict.reason
            return Refused(trigger, source, Refusal.GUARD_FAILED, named)
        edge = edges[0] if len(edges) == 1 else firing.edge
        assert edge is not None, "transitions ran an edge without reporting it"
        if edge.disputed is not None:
            order.disputed = edge.disputed
        return self._outcomes[edge].for_facts(facts)

    def advance(
        self, order: OrderLike, trigger: Trigger, facts: Facts = NO_FACTS
    ) -> tuple[Applied, ...] | Refused:
        """Bring ``order`` to where the signal says DR is, walking skipped edges.

        A signal that jumps ahead (``fulfil`` while ``in_review``) fires every
        declared edge in between, so the skipped states' effects still fire; a
        signal DR's order is already past is ``stale``. A step walked through
        whose destination DR's ``stateTransitions`` record is vouched for by DR
        (its guards are not re-judged on the later snapshot). If any step is
        refused, the order is restored and the refusal returned: nothing
        half-applied.
        """
        source = order.state
        plan = self.plan(source, trigger, facts)
        if isinstance(plan, Refused):
            return plan
        disputed = order.disputed
        applied: list[Applied] = []
        last = len(plan) - 1
        for index, step in enumerate(plan):
            dest = self._dest.get(step)
            vouched = index < last and dest is not None and dest.value in facts.state_times
            outcome = self.fire(order, step, facts, vouched=vouched)
            if isinstance(outcome, Refused):
                order.state, order.disputed = source, disputed
                return Refused(trigger, source, outcome.refusal, outcome.reason)
            applied.append(outcome)
        return tuple(applied)

    def plan(
        self, state: OrderState, trigger: Trigger, facts: Facts
    ) -> tuple[Trigger, ...] | Refused:
        """The triggers to fire, in order, for ``trigger`` to take effect from ``state``."""
        ahead = None
        if self._dest.get(trigger) is None:
            # DR's "dispute" is not a lifecycle state: where DR's order stands
            # is then the latest lifecycle state its stateTransitions record.
            ahead = _as_state(facts.dr_state) or _latest_state(facts.state_times)
        key = (state, trigger, ahead)
        planned = self._plans.get(key)
        if planned is None:
            planned = self._plans[key] = self._plan(state, trigger, ahead)
        return planned

    def _plan(
        self, state: OrderState, trigger: Trigger, ahead: OrderState | None
    ) -> tuple[Trigger, ...] | Refused:
        if state in self._terminal:
            return Refused(trigger, state, Refusal.TERMINAL, f"{state} is terminal")
        dest = self._dest.get(trigger)
        if dest is None:
            if (state, trigger) not in self._edges:
                # A record of a stage the order has left (every edge of the trigger
                # starts behind this state, and none judges or acts: no guard, no
                # effect) is news the order already reflects: stale, as a state it
                # is past. An edge with a guard or an effect is still refused there.
                edges = [
                    e for (src, trig), es in self._edges.items() if trig is trigger for e in es
                ]
                sources = list(dict.fromkeys(e.source for e in edges))
                records_only = all(not e.guards and not e.effects for e in edges)
                if (
                    sources
                    and records_only
                    and all(state in self._reachable[src] for src in sources)
                ):
                    named = ", ".join(src.value for src in sources)
                    reason = f"{state} is past {trigger}'s states ({named})"
                    return Refused(trigger, state, Refusal.STALE, reason)
            lead: tuple[Trigger, ...] = ()
            if (
                ahead is not None
                and ahead is not state
                and (state, trigger) not in self._edges
                and (ahead, trigger) in self._edges
            ):
                path = self._path(state, ahead)
                lead = path or ()
            return (*lead, trigger)
        if dest is state:
            return Refused(trigger, state, Refusal.STALE, f"already {state}")
        if state in self._reachable[dest]:
            return Refused(trigger, state, Refusal.STALE, f"{state} is past {dest}")
        path = self._path(state, dest, last=trigger)
        if path is None:
            return Refused(
                trigger, state, Refusal.NO_PATH, f"no declared path from {state} to {dest}"
            )
        return path

    def _path(
        self, start: OrderState, goal: OrderState, last: Trigger | None = None
    ) -> tuple[Trigger, ...] | None:
        """Shortest chain of state-changing triggers from ``start`` to ``goal``."""
        parents: dict[OrderState, tuple[OrderState, Trigger] | None] = {start: None}
        queue = deque([start])
        while queue:
            here = queue.popleft()
            for (src, trig), edges in self._edges.items():
                if src is not here:
                    continue
                for edge in edges:
                    nxt = edge.dest
                    if nxt is None or nxt in parents:
                        continue
                    if nxt is goal and last is not None and trig is not last:
                        continue
                    parents[nxt] = (here, trig)
                    if nxt is goal:
                        return _unwind(parents, goal)
                    queue.append(nxt)
        return None

    def edges_from(self, state: OrderState) -> Mapping[Trigger, tuple[Edge, ...]]:
        """The declared edges leaving ``state``, by trigger."""
        return {t: e for (s, t), e in self._edges.items() if s is state}


def _unwind(
    parents: Mapping[OrderState, tuple[OrderState, Trigger] | None], goal: OrderState
) -> tuple[Trigger, ...]:
    steps: list[Trigger] = []
    link = parents[goal]
    while link is not None:
        here, trig = link
        steps.append(trig)
        link = parents[here]
    return tuple(reversed(steps))


_STATE_VALUES = {s.value: s for s in OrderState}


def _as_state(dr_state: str | None) -> OrderState | None:
    return None if dr_state is None else _STATE_VALUES.get(dr_state)


def _latest_state(state_times: Mapping[str, datetime]) -> OrderState | None:
    stamped = [(at, _STATE_VALUES[n]) for n, at in state_times.items() if n in _STATE_VALUES]
    return max(stamped)[1] if stamped else None
