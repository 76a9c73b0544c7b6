"""orderfsm: run the platform's orders against Digital River as explicit, guarded transitions.

The names below are the public API; docs/embedding.md shows a host using them.
Importing ``orderfsm`` is cheap: the commands, the errors and the lifecycle
load at once; the engine, the dispatcher and the inbox applier (SQLAlchemy,
pydantic) load on first use of a name that needs them; the webhook receiver
(``orderfsm.adapters.http``, the ``server`` extra), the operator console
(``orderfsm.console``: ``console_app``, same extra) and diagram rendering
(graphviz) only when asked for.

- open and apply: :class:`Engine` (``Engine.open(url)``), the commands
  :class:`Submit`, :class:`CreateOrderResponse`, :class:`WebhookEvent`, and
  what an application comes to (:class:`ApplyResult`, its :class:`Outcome`);
- apply stored webhooks in the host's own process: :func:`apply_inbox`,
  :func:`drain_inbox` (:class:`InboxPolicy`, :class:`InboxReport`), or run the
  whole worker (inbox and outbox, two threads) with :func:`run_worker`
  (:class:`WorkerConfig`; its periodic reconcile and stuck scan: :class:`Upkeep`,
  :class:`UpkeepConfig`);
- deliver effects: :class:`HandlerRegistry`, :class:`Effect`,
  :class:`Dispatcher` (``Dispatcher.from_engine(engine, registry)`` or
  ``Dispatcher.open(url, registry)``); the payload models are in
  :mod:`orderfsm.effects`;
- count what it does for Prometheus: :class:`Metrics` (its own registry;
  ``orderfsm.observability.asgi`` serves it), loaded only when asked for;
- the errors a host catches, all under :class:`OrderFsmError`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from orderfsm.commands import CreateOrderResponse, Submit, WebhookEvent
from orderfsm.errors import (
    ConfigurationError,
    ContentionExhausted,
    DatabaseUnavailable,
    EffectDeliveryError,
    MissingExtra,
    OrderConflict,
    OrderFsmError,
    OrderNotFound,
    PayloadError,
    PermanentEffectError,
    SchemaOutOfDate,
    SignatureError,
    StorageError,
)
from orderfsm.fsm import (
    LIFECYCLE,
    EffectName,
    LifecycleMachine,
    OrderState,
    Trigger,
)
from orderfsm.fsm.outcomes import Outcome

if TYPE_CHECKING:
    from orderfsm.dispatch import (
        DispatchConfig,
        Dispatcher,
        DispatchReport,
        Effect,
        HandlerRegistry,
    )
    from orderfsm.inbox import InboxPolicy, InboxReport, apply_inbox, drain_inbox
    from orderfsm.observability import Metrics
    from orderfsm.service import ApplyResult, Engine, EngineConfig
    from orderfsm.service.upkeep import Upkeep, UpkeepConfig
    from orderfsm.service.worker import WorkerConfig, run_worker

__all__ = [
    "ApplyResult",
    "ConfigurationError",
    "ContentionExhausted",
    "CreateOrderResponse",
    "DatabaseUnavailable",
    "DispatchConfig",
    "DispatchReport",
    "Dispatcher",
    "Effect",
    "EffectDeliveryError",
    "EffectName",
    "Engine",
    "EngineConfig",
    "HandlerRegistry",
    "InboxPolicy",
    "InboxReport",
    "LIFECYCLE",
    "LifecycleMachine",
    "Metrics",
    "MissingExtra",
    "OrderConflict",
    "OrderFsmError",
    "OrderNotFound",
    "OrderState",
    "Outcome",
    "PayloadError",
    "PermanentEffectError",
    "SchemaOutOfDate",
    "SignatureError",
    "StorageError",
    "Submit",
    "Trigger",
    "Upkeep",
    "UpkeepConfig",
    "WebhookEvent",
    "WorkerConfig",
    "apply_inbox",
    "drain_inbox",
    "run_worker",
]

_LAZY = {
    "ApplyResult": "orderfsm.service",
    "Engine": "orderfsm.service",
    "EngineConfig": "orderfsm.service",
    "DispatchConfig": "orderfsm.dispatch",
    "DispatchReport": "orderfsm.dispatch",
    "Dispatcher": "orderfsm.dispatch",
    "Effect": "orderfsm.dispatch",
    "HandlerRegistry": "orderfsm.dispatch",
    "InboxPolicy": "orderfsm.inbox",
    "InboxReport": "orderfsm.inbox",
    "Upkeep": "orderfsm.service.upkeep",
    "UpkeepConfig": "orderfsm.service.upkeep",
    "WorkerConfig": "orderfsm.service.worker",
    "run_worker": "orderfsm.service.worker",
    "apply_inbox": "orderfsm.inbox",
    "drain_inbox": "orderfsm.inbox",
    "Metrics": "orderfsm.observability",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'orderfsm' has no attribute {name!r}")
    return getattr(import_module(module), name)
