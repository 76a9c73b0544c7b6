"""Shared by the diagram tests: the lifecycle's expected edges and sample histories.

Tests that run Graphviz's ``dot`` say so with ``@pytest.mark.requires_dot`` (tests/gates.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from orderfsm.fsm.lifecycle import LIFECYCLE


def table_edges() -> Counter[str]:
    """Every declared edge of the table as ``source:trigger:dest`` (dest = source if internal)."""
    return Counter(f"{e.source}:{e.trigger}:{e.target}" for e in LIFECYCLE.edges())


@dataclass(frozen=True)
class Entry:
    """A history entry as the engine reports it (the diagrams' HistoryLike protocol)."""

    trigger: str
    from_state: str | None
    to_state: str | None
    outcome: str = "applied"
    reason: str | None = None
    event_type: str | None = None


def accepted_then_fulfilled() -> list[Entry]:
    """A realistic history: created, paid late, reviewed, accepted, fulfilled, with noise."""
    return [
        Entry("submit", None, "submitted"),
        Entry("link_dr_order", "submitted", "submitted"),
        Entry("await_payment", "submitted", "pending_payment", event_type="order.pending_payment"),
        Entry(
            "accept",
            "pending_payment",
            "pending_payment",
            "refused",
            "all charges authorized: charge ch_1 is pending, not authorized",
            "order.accepted",
        ),
        Entry("open_review", "pending_payment", "in_review", event_type="order.review_opened"),
        Entry("accept", "in_review", "accepted", event_type="order.accepted"),
        Entry(
            "await_payment",
            "accepted",
            "accepted",
            "stale",
            "accepted is past pending_payment",
            "order.pending_payment",
        ),
        Entry(
            "accept",
            "accepted",
            "accepted",
            "duplicate",
            "event evt_7 already applied",
            "order.accepted",
        ),
        Entry(
            "record_charge_captured",
            "accepted",
            "accepted",
            event_type="order.charge.capture.complete",
        ),
        Entry("fulfil", "accepted", "fulfilled", event_type="order.fulfilled"),
    ]
