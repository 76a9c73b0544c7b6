"""The pure lifecycle: states, the table, guards, effects, the machine, checks.

Standard library and ``transitions`` only: no I/O, no clock, no pydantic.
"""

from orderfsm.fsm.checks import check_lifecycle
from orderfsm.fsm.effects import EffectIntent, EffectName
from orderfsm.fsm.lifecycle import LIFECYCLE, Lifecycle
from orderfsm.fsm.machine import Applied, InMemoryOrder, LifecycleMachine, Refusal, Refused
from orderfsm.fsm.signals import Facts, NotRelevant, Signal
from orderfsm.fsm.states import OrderState, Trigger

__all__ = [
    "Applied",
    "EffectIntent",
    "EffectName",
    "Facts",
    "InMemoryOrder",
    "LIFECYCLE",
    "Lifecycle",
    "LifecycleMachine",
    "NotRelevant",
    "OrderState",
    "Refusal",
    "Refused",
    "Signal",
    "Trigger",
    "check_lifecycle",
]
