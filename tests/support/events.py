"""Digital River webhook bodies the engine tests deliver."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orderfsm.samples.builders import OrderSketch


def accepted_event(o: OrderSketch, at: datetime) -> dict[str, Any]:
    """DR's ``order.accepted`` for ``o`` at ``at``, its fraud review passed."""
    return o.event("order.accepted", o.order("accepted", at, fraud_state="passed"), at)
