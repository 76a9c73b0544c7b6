"""A host's handlers for ``orderfsm worker --handlers``: DR's fulfilment handler, then SIGKILL.

The first delivery reaches DR (its 201 arrives), and the worker process is
killed with SIGKILL before the outbox marks the effect done: the crash the
exactly-once test needs, at exactly that point. ``CRASH_MARKER`` (a file)
makes it happen once.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from orderfsm.adapters.digitalriver.api_config import DrApiConfig
from orderfsm.adapters.digitalriver.client import DrClient
from orderfsm.adapters.handlers import DrFulfilmentHandler
from orderfsm.dispatch import Effect, HandlerRegistry
from orderfsm.fsm.effects import EffectName


def registry(into: HandlerRegistry) -> None:
    """Register the crashing DR handler (DR's URL and key from the environment)."""
    config = DrApiConfig(
        secret_key=os.environ["ORDERFSM_DR_API_KEY"], base_url=os.environ["ORDERFSM_DR_API_URL"]
    )
    handler = DrFulfilmentHandler(DrClient(config))
    marker = Path(os.environ["CRASH_MARKER"])

    def deliver_then_die(effect: Effect[Any]) -> None:
        handler(effect)
        if not marker.exists():
            marker.write_text(effect.key)
            os.kill(os.getpid(), signal.SIGKILL)

    into.register(EffectName.REPORT_FULFILLMENT, deliver_then_die)
