"""What a fault run checks once the faults stop and the backlog is drained, and its counts.

* **lost**: an event answered 2xx that is not in the inbox, is not applied
  there, or (when the lifecycle acts on it) has no deciding history row;
* **applied twice**: an event id with more than one deciding history row
  (or more than one ``applied`` first step);
* **orders differing**: an order whose state, dispute flag, DR ids, fraud
  state, charges or effect keys differ from the fault-free reference;
* **effects delivered twice**: an effect key the recorder got more than once;
  those whose earlier delivery was by a worker SIGKILLed before it could mark
  the effect done are counted apart (the at-least-once window the idempotency
  key exists for); **effects missing**: an outbox row never delivered.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.faults.recorder import deliveries
from bench.faults.traffic import final
from orderfsm.fsm.outcomes import NOT_RELEVANT, Outcome
from orderfsm.persistence import InboxStatus
from orderfsm.service import Engine

DECIDING = text(
    "SELECT event_id, outcome FROM order_history WHERE step = 0 AND event_id IS NOT NULL "
    "AND outcome NOT IN ('duplicate', 'parked')"
)
INBOX = text("SELECT event_id, status, outcome FROM inbox")
OUTBOX = text("SELECT idempotency_key, status FROM outbox")
PARKED = text("SELECT count(*) FROM parked_signals")
DR_FACTS = ("fraud_state", "charges")
"""The fields of :func:`~bench.faults.traffic.final` that are DR's facts, not the lifecycle's."""


@dataclass
class Verdict:
    """The counts a fault run prints; a clean run has zeros in every problem line."""

    deliveries: int = 0
    distinct_events: int = 0
    posts: int = 0
    answered_2xx: int = 0
    not_answered: int = 0
    """POSTs that got no answer: connection refused or reset, timeout (receiver killed)."""
    other_answers: dict[int, int] = field(default_factory=dict)
    """Answers other than 2xx, by status (503 while the database is down)."""
    worker_kills: int = 0
    receiver_kills: int = 0
    db_restarts: int = 0
    never_answered: int = 0
    lost: list[str] = field(default_factory=list)
    applied_twice: list[str] = field(default_factory=list)
    orders_differing: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)
    effects_delivered: int = 0
    effects_twice: list[str] = field(default_factory=list)
    effects_twice_after_kill: list[str] = field(default_factory=list)
    effects_missing: list[str] = field(default_factory=list)
    still_parked: int = 0

    @property
    def lifecycle_differing(self) -> dict[str, dict[str, tuple[Any, Any]]]:
        """The differing orders whose state, dispute flag, DR ids or effects differ."""
        return {
            upstream_id: fields
            for upstream_id, fields in self.orders_differing.items()
            if set(fields) - set(DR_FACTS)
        }

    @property
    def clean(self) -> bool:
        """No event lost or applied twice, every order as the reference, each effect once
        but for the SIGKILL window, and every event answered."""
        unexplained = set(self.effects_twice) - set(self.effects_twice_after_kill)
        return not (
            self.lost
            or self.applied_twice
            or self.orders_differing
            or unexplained
            or self.effects_missing
            or self.never_answered
            or self.still_parked
        )

    def counts(self) -> dict[str, int]:
        """The report's counts by label (``--json``)."""
        return dict(self._rows())

    def lines(self) -> list[str]:
        """The report, one count a line."""
        out = [f"{label:<48} {value:>8,}" for label, value in self._rows()]
        for upstream_id, fields in sorted(self.orders_differing.items())[:5]:
            out.append(f"  differs: {upstream_id} {fields}")
        for key in sorted(set(self.effects_twice) - set(self.effects_twice_after_kill)):
            out.append(f"  delivered twice, no kill to explain it: {key}")
        for event_id in (self.lost + self.applied_twice)[:5]:
            out.append(f"  event: {event_id}")
        return out

    def _rows(self) -> list[tuple[str, int]]:
        return [
            ("events sent (copies included)", self.deliveries),
            ("distinct events", self.distinct_events),
            ("POSTs (retries included)", self.posts),
            ("2xx answers", self.answered_2xx),
            ("POSTs with no answer (receiver down or killed)", self.not_answered),
            *((f"answers {status}", n) for status, n in sorted(self.other_answers.items())),
            ("worker kills (SIGKILL)", self.worker_kills),
            ("receiver kills (SIGKILL)", self.receiver_kills),
            ("database restarts (crash + start)", self.db_restarts),
            ("events never answered 2xx", self.never_answered),
            ("lost (answered 2xx, not stored and applied)", len(self.lost)),
            ("applied twice", len(self.applied_twice)),
            ("orders differing from the reference", len(self.orders_differing)),
            (
                "  of which only in DR facts (fraud state, charges)",
                len(self.orders_differing) - len(self.lifecycle_differing),
            ),
            ("effects delivered", self.effects_delivered),
            ("effects delivered twice", len(self.effects_twice)),
            ("  of which after a SIGKILL before the done mark", len(self.effects_twice_after_kill)),
            ("effects never delivered", len(self.effects_missing)),
            ("events still parked", self.still_parked),
        ]


def judge(
    verdict: Verdict,
    url: str,
    *,
    answered: set[str],
    reference: dict[str, dict[str, Any]],
    effects_file: Path,
    killed_workers: set[int],
) -> Verdict:
    """Fill ``verdict``'s problem lines from the database and the recorder's file."""
    with Engine.open(url) as engine:
        with engine.db.connect() as connection:
            inbox = {row.event_id: row for row in connection.execute(INBOX)}
            deciding = Counter(row.event_id for row in connection.execute(DECIDING))
            applied = Counter(
                row.event_id
                for row in connection.execute(DECIDING)
                if row.outcome == Outcome.APPLIED.value
            )
            outbox = {row.idempotency_key: row.status for row in connection.execute(OUTBOX)}
            verdict.still_parked = int(connection.execute(PARKED).scalar() or 0)
        views = {upstream_id: engine.show(upstream_id) for upstream_id in reference}
    for event_id in sorted(answered):
        row = inbox.get(event_id)
        stored_and_applied = row is not None and row.status == InboxStatus.APPLIED.value
        decided = row is not None and (row.outcome == NOT_RELEVANT or deciding[event_id] > 0)
        if not (stored_and_applied and decided):
            verdict.lost.append(event_id)
    verdict.applied_twice = sorted(
        e for e in set(deciding) | set(applied) if deciding[e] > 1 or applied[e] > 1
    )
    for upstream_id, expected in reference.items():
        view = views[upstream_id]
        got = final(view) if view is not None else {}
        differing = {k: (v, got.get(k)) for k, v in expected.items() if got.get(k) != v}
        if differing:
            verdict.orders_differing[upstream_id] = differing
    _judge_effects(verdict, outbox, deliveries(effects_file), killed_workers)
    return verdict


def _judge_effects(
    verdict: Verdict,
    outbox: dict[str, str],
    delivered: list[dict[str, Any]],
    killed_workers: set[int],
) -> None:
    by_key: dict[str, list[int]] = defaultdict(list)
    for line in delivered:
        by_key[str(line["key"])].append(int(line["pid"]))
    verdict.effects_delivered = len(delivered)
    verdict.effects_missing = sorted(k for k in outbox if k not in by_key)
    verdict.effects_twice = sorted(k for k, pids in by_key.items() if len(pids) > 1)
    verdict.effects_twice_after_kill = [
        k for k in verdict.effects_twice if all(pid in killed_workers for pid in by_key[k][:-1])
    ]
