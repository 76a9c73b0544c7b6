"""What firing a trigger gives: :class:`Applied` along a declared edge, or :class:`Refused`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from orderfsm.fsm.effects import EffectIntent
from orderfsm.fsm.states import OrderState, Trigger


class Refusal(StrEnum):
    """Why a trigger changed nothing."""

    NO_SUCH_EDGE = "no_such_edge"
    GUARD_FAILED = "guard_failed"
    TERMINAL = "terminal"
    STALE = "stale"
    NO_PATH = "no_path"


@dataclass(frozen=True, slots=True)
class Applied:
    """A trigger fired along a declared edge."""

    trigger: Trigger
    source: OrderState
    dest: OrderState
    effects: tuple[EffectIntent, ...]
    internal: bool


@dataclass(frozen=True, slots=True)
class Refused:
    """A trigger that changed nothing, with the reason in words."""

    trigger: Trigger
    state: OrderState
    refusal: Refusal
    reason: str


Fired = Applied | Refused
"""What firing one trigger gives."""
