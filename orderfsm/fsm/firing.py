"""One firing inside ``transitions``: guard wrappers that keep verdicts, prebuilt outcomes.

The machine (:mod:`orderfsm.fsm.machine`) hands transitions these callables
and reads the :class:`Firing` afterwards; nothing here is public API.
"""

from __future__ import annotations

from typing import Any

from orderfsm.fsm.effects import EffectIntent, EffectSpec
from orderfsm.fsm.fired import Applied
from orderfsm.fsm.guards import Guard, Verdict
from orderfsm.fsm.lifecycle import Edge
from orderfsm.fsm.signals import Facts


class Firing:
    """The argument transitions hands our guard wrappers for one firing.

    ``vouched``: DR's own ``stateTransitions`` record that the order entered
    this edge's destination, so DR already decided what the guards check (a
    step walked through on the way to a later state, judged on a later
    snapshot, must not be refused for what happened after it).
    """

    __slots__ = ("edge", "facts", "failed", "vouched")

    def __init__(self, facts: Facts, vouched: bool = False) -> None:
        self.facts = facts
        self.vouched = vouched
        self.failed: tuple[Guard, Verdict] | None = None
        self.edge: Edge | None = None


def condition(guard: Guard) -> Any:
    def passes(firing: Firing) -> bool:
        if firing.vouched:
            return True
        verdict = guard.check(firing.facts)
        if not verdict.passed:
            firing.failed = (guard, verdict)
        return verdict.passed

    passes.__name__ = guard.name
    return passes


def recorder(edge: Edge) -> Any:
    def fired(firing: Firing) -> None:
        firing.edge = edge

    return fired


class EdgeOutcomes:
    """Every :class:`Applied` one edge can produce, built once and then shared.

    An Applied value is immutable and depends only on the edge and on which
    of its conditional effects apply, so firing hands out a prebuilt one
    instead of building tuples and dataclasses on every trigger.
    """

    __slots__ = ("_edge", "_specs", "_variants", "fixed")

    def __init__(self, edge: Edge, specs: tuple[EffectSpec, ...]) -> None:
        self._edge = edge
        self._specs = specs
        self._variants: dict[tuple[bool, ...], Applied] = {}
        unconditional = all(spec.when is None for spec in specs)
        self.fixed = self._build((True,) * len(specs)) if unconditional else None

    def _build(self, applies: tuple[bool, ...]) -> Applied:
        edge = self._edge
        return Applied(
            edge.trigger,
            edge.source,
            edge.target,
            tuple(
                EffectIntent(spec.name, edge.trigger, edge.dest)
                for spec, wanted in zip(self._specs, applies, strict=True)
                if wanted
            ),
            edge.dest is None,
        )

    def for_facts(self, facts: Facts) -> Applied:
        """The outcome of this edge for a signal with ``facts``."""
        if self.fixed is not None:
            return self.fixed
        applies = tuple(spec.applies(facts) for spec in self._specs)
        outcome = self._variants.get(applies)
        if outcome is None:
            # At most 2**len(specs) variants; a race only builds an equal value twice.
            outcome = self._variants[applies] = self._build(applies)
        return outcome
