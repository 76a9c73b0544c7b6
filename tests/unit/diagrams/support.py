"""Shared by the diagram tests: the lifecycle's expected edges and sample histories.

Tests that run Graphviz's ``dot`` say so with ``@pytest.mark.requires_dot`` (tests/gates.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from orderfsm.diagrams.export import lifecycle_document
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


ADDED_SINCE_BASE = "fulfilled:complete:complete"
"""An edge of the table that :func:`base_document` lacks: the diff shows it added."""
REMOVED_SINCE_BASE = "accepted:return:returned"
"""An edge :func:`base_document` has and the table does not: the diff shows it removed."""


def base_document() -> dict[str, Any]:
    """The table's export with one edge taken out and one edge put in (a base to diff with)."""
    document = lifecycle_document()
    edges = [e for e in document["edges"] if _key(e) != ADDED_SINCE_BASE]
    source, trigger, target = REMOVED_SINCE_BASE.split(":")
    edges.append(
        {
            "source": source,
            "trigger": trigger,
            "target": target,
            "internal": False,
            "guards": [],
            "effects": [],
            "disputed": None,
        }
    )
    return {**document, "edges": edges}


def _key(edge: dict[str, Any]) -> str:
    return f"{edge['source']}:{edge['trigger']}:{edge['target']}"
