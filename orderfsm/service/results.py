"""What the engine is configured with, and what it answers for one command."""

from __future__ import annotations

from dataclasses import dataclass

from orderfsm.errors import OrderFsmError
from orderfsm.fsm.machine import Applied
from orderfsm.fsm.outcomes import Outcome
from orderfsm.fsm.signals import NotRelevant
from orderfsm.fsm.states import OrderState, Trigger


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """How the engine behaves; small and frozen, passed to :meth:`Engine.open`."""

    adopt_dr_orders: bool = False
    """Create an order when DR announces one it made itself (low-code checkouts)."""
    max_attempts: int = 10
    """How often a unit of work is tried when another worker conflicts with it."""
    retry_for_s: float = 5.0
    """And for how long at least: a unit still colliding after ``max_attempts``
    keeps trying until this many seconds have passed since its first attempt.
    On a loaded machine the worker it collides with (one linking the order, say)
    can be kept off the CPU for longer than ten quick attempts last."""


DEFAULT_CONFIG = EngineConfig()
"""The configuration an engine opened without one gets."""


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What became of one signal."""

    outcome: Outcome | None
    """``None`` when the event is not relevant to the lifecycle (see ``not_relevant``)."""
    upstream_id: str | None
    state: OrderState | None
    reason: str | None = None
    steps: tuple[Applied, ...] = ()
    effect_keys: tuple[str, ...] = ()
    redirect_url: str | None = None
    not_relevant: NotRelevant | None = None
    trigger: Trigger | None = None
    """The signal's trigger (``None`` for a submit or an event the lifecycle ignores)."""


Answer = ApplyResult | OrderFsmError
"""One command's answer: its result, or the error that refused it (nothing written)."""
