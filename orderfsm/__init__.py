"""orderfsm: run the platform's orders against Digital River as explicit, guarded transitions.

The names below are the public API. Importing ``orderfsm`` is cheap: the
engine (SQLAlchemy, pydantic) loads on first use of a name that needs it, and
diagram rendering (graphviz) only when a diagram is rendered.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from orderfsm.errors import OrderFsmError
from orderfsm.fsm import (
    LIFECYCLE,
    EffectName,
    LifecycleMachine,
    OrderState,
    Trigger,
)

if TYPE_CHECKING:
    from orderfsm.dispatch import DispatchConfig, Dispatcher, Effect, HandlerRegistry
    from orderfsm.service import ApplyResult, Engine, EngineConfig

__all__ = [
    "ApplyResult",
    "DispatchConfig",
    "Dispatcher",
    "Effect",
    "EffectName",
    "Engine",
    "EngineConfig",
    "HandlerRegistry",
    "LIFECYCLE",
    "LifecycleMachine",
    "OrderFsmError",
    "OrderState",
    "Trigger",
]

_LAZY = {
    "ApplyResult": "orderfsm.service",
    "Engine": "orderfsm.service",
    "EngineConfig": "orderfsm.service",
    "DispatchConfig": "orderfsm.dispatch",
    "Dispatcher": "orderfsm.dispatch",
    "Effect": "orderfsm.dispatch",
    "HandlerRegistry": "orderfsm.dispatch",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'orderfsm' has no attribute {name!r}")
    return getattr(import_module(module), name)
