"""Test doubles and property-based tools for backends that embed orderfsm (public API).

Like ``structlog.testing``, these are shipped for your tests, not ours alone:

* a model of Digital River's lifecycle (:class:`HistoryPlan`, :class:`DrStep`,
  :func:`build_history`) and what the platform's order must end as
  (:func:`expected_final_state`, :func:`expected_effects`);
* hypothesis strategies in :mod:`orderfsm.testing.strategies` (DR orders,
  events, ``POST /orders`` answers, DR-consistent histories and their
  deliveries);
* :class:`OrderLifecycleMachine`, a stateful test base that attacks your
  handlers with every delivery DR could make;
* the invariants as plain functions in :mod:`orderfsm.testing.invariants`;
* :class:`EffectRecorder`, a recording handler set, and :func:`feed`, which
  applies journal lines to an engine;
* pytest fixtures (``orderfsm_engine``, ``orderfsm_recorder``,
  ``orderfsm_feed``, ``orderfsm_dispatch``), registered as the pytest plugin
  ``orderfsm.testing.plugin``.

Names load on first use: importing this package imports neither hypothesis
nor the engine. (No module here is named like a name it exports: importing
the module would make the package attribute the module.)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from orderfsm.errors import InconsistentPlan

if TYPE_CHECKING:
    from orderfsm.testing.defaults import harness_settings
    from orderfsm.testing.expectations import (
        EffectExpectation,
        expected_disputed,
        expected_effects,
        expected_final_state,
    )
    from orderfsm.testing.history import Delivery, DrHistory, build_history
    from orderfsm.testing.journals import feed
    from orderfsm.testing.model import (
        Answer,
        DrStep,
        HistoryPlan,
        ItemKind,
        OrderShape,
        SourceFlow,
    )
    from orderfsm.testing.recorder import EffectRecorder, Sent
    from orderfsm.testing.stateful import OrderLifecycleMachine

__all__ = [
    "Answer",
    "Delivery",
    "DrHistory",
    "DrStep",
    "EffectExpectation",
    "EffectRecorder",
    "HistoryPlan",
    "InconsistentPlan",
    "ItemKind",
    "OrderLifecycleMachine",
    "OrderShape",
    "Sent",
    "SourceFlow",
    "build_history",
    "expected_disputed",
    "expected_effects",
    "expected_final_state",
    "feed",
    "harness_settings",
]

_LAZY = {
    "Answer": "model",
    "Delivery": "history",
    "DrHistory": "history",
    "DrStep": "model",
    "EffectExpectation": "expectations",
    "EffectRecorder": "recorder",
    "HistoryPlan": "model",
    "ItemKind": "model",
    "OrderLifecycleMachine": "stateful",
    "OrderShape": "model",
    "Sent": "recorder",
    "SourceFlow": "model",
    "build_history": "history",
    "expected_disputed": "expectations",
    "expected_effects": "expectations",
    "expected_final_state": "expectations",
    "feed": "journals",
    "harness_settings": "defaults",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'orderfsm.testing' has no attribute {name!r}")
    return getattr(import_module(f"orderfsm.testing.{module}"), name)
