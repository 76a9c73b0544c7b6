"""The lifecycle's promises as plain functions: each raises AssertionError saying what broke.

They take plain values, so a backend can call them from any test: effects as
handlers received them (anything with ``name``, ``key`` and ``upstream_id``,
such as :class:`orderfsm.dispatch.Effect` or a :class:`~.recorder.Sent`), or
:class:`OrderSnapshot` values read from the engine (:func:`snapshot`).

What each checks, precisely:

* :func:`assert_each_effect_once`: no idempotency key twice, and no order gets
  twice an effect that only entering a state emits (all but
  ``notify_payment_failed``, which each failed charge may emit): at most once.
* :func:`assert_done_effects_performed`: every effect the outbox marks done
  was performed (its key, or for a once-per-order effect its order and name,
  among what the outside world received): at least once. With the check
  above, exactly once.
* :func:`assert_fulfilment_after_acceptance`: ``request_shipment`` and
  ``deliver_digital`` only for orders that have entered ``accepted``.
* :func:`assert_nothing_after_terminal`: in the order given (enqueued or
  handled), no order gets an effect of a live state (confirmation, shipment,
  digital delivery, payment instructions) after one only a terminal
  transition emits (blocked, cancelled, cancel fulfilment).
* :func:`assert_terminal_absorbs`: once an order's stored state is terminal, a
  delivery changes neither its state, nor its dispute flag, nor its effects.
* :func:`assert_moves_forward`: the stored state is one DR's history allows
  and never goes back along it.
* :func:`assert_converged`: once the whole history is delivered, the state is
  DR's final state, the dispute flag DR's (unless the order ended in a
  terminal state, which absorbs later dispute news), and the effects are
  those the history must and may produce.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from orderfsm.fsm.effects import EffectName
from orderfsm.fsm.lifecycle import LIFECYCLE
from orderfsm.fsm.states import OrderState
from orderfsm.testing.expectations import (
    expected_disputed,
    expected_effects,
    expected_final_state,
    upstream_path,
)
from orderfsm.testing.model import HistoryPlan

if TYPE_CHECKING:
    from orderfsm.persistence.records import OrderView


class EffectLike(Protocol):
    """What the checks need of an effect."""

    @property
    def name(self) -> str: ...  # an EffectName value

    @property
    def key(self) -> str: ...

    @property
    def upstream_id(self) -> str: ...


def _emitters() -> tuple[frozenset[EffectName], frozenset[EffectName], frozenset[EffectName]]:
    """(effects of internal edges, of moves into terminal states, of moves into live ones)."""
    internal: set[EffectName] = set()
    terminal: set[EffectName] = set()
    live: set[EffectName] = set()
    for edge in LIFECYCLE.edges():
        entered = () if edge.dest is None else LIFECYCLE.spec(edge.dest).on_enter
        names = {e.name for e in (*edge.effects, *entered)}
        if edge.dest is None:
            internal |= names
        elif edge.dest in LIFECYCLE.terminal_states:
            terminal |= names
        else:
            live |= names
    return frozenset(internal), frozenset(terminal), frozenset(live)


_INTERNAL, _TERMINAL, _LIVE = _emitters()

_OVERDUE = frozenset(effect.name for effect in LIFECYCLE.on_overdue)

ONCE_PER_ORDER = frozenset(EffectName) - _INTERNAL - _OVERDUE
"""Effects an order gets at most once: those only a change of state emits."""
TERMINAL_ONLY = _TERMINAL - _LIVE - _INTERNAL
"""Effects only a move into a terminal state emits."""
LIVE_ONLY = _LIVE - _TERMINAL - _INTERNAL
"""Effects only a move into a live (non-terminal) state emits."""
FULFILMENT = frozenset({EffectName.REQUEST_SHIPMENT, EffectName.DELIVER_DIGITAL})
"""Effects that hand goods over: only for accepted orders."""


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """What a check needs of a stored order at one moment."""

    upstream_id: str
    state: OrderState
    disputed: bool
    effect_keys: frozenset[str]
    accepted: bool
    """The order has entered ``accepted`` (its history has an applied step into it)."""


def snapshot(view: OrderView) -> OrderSnapshot:
    """A snapshot of an order read with ``Engine.show``."""
    from orderfsm.fsm.outcomes import Outcome

    return OrderSnapshot(
        view.upstream_id,
        OrderState(view.state),
        view.disputed,
        frozenset(e.key for e in view.effects),
        any(
            h.outcome == Outcome.APPLIED and h.to_state == OrderState.ACCEPTED for h in view.history
        ),
    )


def assert_each_effect_once(effects: Iterable[EffectLike]) -> None:
    """No key twice; no once-per-order effect twice for one order."""
    effects = list(effects)
    keys = Counter(e.key for e in effects)
    twice = sorted(k for k, n in keys.items() if n > 1)
    if twice:
        first = next(e for e in effects if e.key == twice[0])
        raise AssertionError(
            f"{first.name} for order {first.upstream_id} (key {first.key!r}) delivered "
            f"{keys[first.key]} times; expected at most once"
        )
    per_order = Counter((e.upstream_id, e.name) for e in effects if e.name in ONCE_PER_ORDER)
    for (upstream_id, name), count in sorted(per_order.items()):
        if count > 1:
            keys_seen = sorted(
                e.key for e in effects if (e.upstream_id, e.name) == (upstream_id, name)
            )
            raise AssertionError(
                f"{name} delivered {count} times for order {upstream_id} (keys {keys_seen}); "
                "a lifecycle effect happens once per order"
            )


def assert_done_effects_performed(
    done: Iterable[EffectLike], performed: Iterable[EffectLike], *, seen_by: str
) -> None:
    """Every effect in ``done`` (marked done by the outbox) was performed: it is in ``performed``.

    By key; or, for an effect an order gets at most once, by order and name
    (a handler may pass its own key on; :func:`assert_each_effect_once` judges
    its repeats). ``seen_by`` names where ``performed`` comes from, for the
    message. A handler that returns without doing its work leaves the effect
    done but never performed: "delivered" judged on the outbox alone passes it.
    """
    performed = list(performed)
    keys = {e.key for e in performed}
    once = {(e.upstream_id, e.name) for e in performed if e.name in ONCE_PER_ORDER}
    for effect in done:
        if effect.key in keys or (effect.upstream_id, effect.name) in once:
            continue
        raise AssertionError(
            f"{effect.name} for order {effect.upstream_id} (key {effect.key!r}) is done in "
            f"the outbox but was never performed: expected at least 1 in {seen_by}, saw 0"
        )


def assert_fulfilment_after_acceptance(
    effects: Iterable[EffectLike], accepted: Collection[str]
) -> None:
    """``request_shipment``/``deliver_digital`` only for orders in ``accepted`` (upstream ids)."""
    for effect in effects:
        if effect.name in FULFILMENT and effect.upstream_id not in accepted:
            raise AssertionError(
                f"{effect.name} for order {effect.upstream_id}, which never reached accepted "
                f"(key {effect.key})"
            )


def assert_nothing_after_terminal(effects: Iterable[EffectLike]) -> None:
    """No live-state effect for an order after a terminal-only effect, in the order given."""
    ended: dict[str, str] = {}
    for effect in effects:
        if effect.upstream_id in ended and effect.name in LIVE_ONLY:
            raise AssertionError(
                f"{effect.name} for order {effect.upstream_id} after "
                f"{ended[effect.upstream_id]}, which only a terminal state emits"
            )
        if effect.name in TERMINAL_ONLY:
            ended.setdefault(effect.upstream_id, effect.name)


def assert_terminal_absorbs(before: OrderSnapshot, after: OrderSnapshot) -> None:
    """An order already terminal before a delivery is unchanged by it."""
    if before.state not in LIFECYCLE.terminal_states:
        return
    if (after.state, after.disputed) != (before.state, before.disputed):
        raise AssertionError(
            f"order {before.upstream_id} was {before.state} (terminal) but became "
            f"{after.state}{' disputed' if after.disputed else ''}"
        )
    added = sorted(after.effect_keys - before.effect_keys)
    if added:
        raise AssertionError(
            f"order {before.upstream_id} was {before.state} (terminal) yet enqueued {added}"
        )


def assert_moves_forward(plan: HistoryPlan, before: OrderState, after: OrderState) -> None:
    """The stored state is on DR's path for ``plan`` and did not go back along it."""
    path = upstream_path(plan)
    if after not in path:
        raise AssertionError(
            f"the order is {after}, a state DR's history never had "
            f"(path: {' -> '.join(path)}; {plan!r})"
        )
    if before in path and path.index(after) < path.index(before):
        raise AssertionError(f"the order went back from {before} to {after} ({plan!r})")


def assert_converged(plan: HistoryPlan, order: OrderSnapshot, effect_names: Iterable[str]) -> None:
    """Everything delivered: DR's final state and flag, and the effects ``plan`` calls for."""
    final = expected_final_state(plan)
    if order.state != final:
        raise AssertionError(
            f"order {order.upstream_id} ended {order.state}, DR's order is {final} ({plan!r})"
        )
    if final not in LIFECYCLE.terminal_states and order.disputed != expected_disputed(plan):
        raise AssertionError(
            f"order {order.upstream_id} ended with the dispute flag {order.disputed}, "
            f"DR's is {expected_disputed(plan)} ({plan!r})"
        )
    names = set(effect_names)
    expected = expected_effects(plan)
    missing = sorted(expected.required - names)
    if missing:
        raise AssertionError(
            f"order {order.upstream_id} never got {missing} ({plan!r}; it got {sorted(names)})"
        )
    extra = sorted(names - expected.allowed)
    if extra:
        raise AssertionError(
            f"order {order.upstream_id} got {extra}, which DR's history never calls for "
            f"({plan!r}; allowed: {sorted(expected.allowed)})"
        )
