"""The worker's reports as flat records: the fields of its JSON log lines.

One record per report, ``kind`` first after ``time``: ``signal`` for an inbox
entry run through the lifecycle (``eventId``, ``eventType``, ``order``,
``trigger``, ``outcome``, ``reason``, ``error``), ``effect`` for a finished
attempt (``order``, ``effect``, ``key``, ``status``, ``attempts``,
``error``), ``worker.*`` and ``*.pass`` for the rest. ``message`` is the
text line of :func:`~orderfsm.service.worker_reports.describe` without its
time. Values are the data as they are: the writer (``cli.logs.json_line``)
redacts and escapes.
"""

from __future__ import annotations

from typing import Any

from orderfsm.service.worker_reports import (
    EffectHandled,
    EffectsPassed,
    EntryHandled,
    InboxPassed,
    Outage,
    Recovered,
    Started,
    Stopped,
    Stopping,
    WorkerReport,
    describe,
    timestamp,
)


def report_record(report: WorkerReport) -> dict[str, Any]:
    """The JSON log record of ``report``: ``time``, ``level``, ``kind``, its fields, ``message``."""
    level = "warning" if isinstance(report, Outage) else "info"
    record: dict[str, Any] = {"time": timestamp(report.at), "level": level}
    record |= _fields(report)
    record["message"] = describe(report).partition(" ")[2]
    return record


def _fields(report: WorkerReport) -> dict[str, Any]:
    match report:
        case EntryHandled(entry=e):
            return {
                "kind": "signal",
                "eventId": e.event_id,
                "eventType": e.event_type,
                "order": e.upstream_id,
                "trigger": e.trigger,
                "outcome": e.outcome,
                "reason": e.reason,
                "error": e.error,
            }
        case EffectHandled(delivery=d):
            return {
                "kind": "effect",
                "order": d.upstream_id,
                "effect": d.effect.value,
                "key": d.key,
                "status": d.result.value,
                "attempts": d.attempt,
                "error": d.error,
            }
        case Started():
            return {
                "kind": "worker.started",
                "handled": report.handled,
                "intervalSeconds": report.interval.total_seconds(),
                "once": report.once,
            }
        case InboxPassed(report=r):
            return {
                "kind": "inbox.pass",
                "applied": r.applied,
                "retried": r.retried,
                "dead": r.dead,
                "released": r.released,
                "outcomes": dict(sorted(r.outcomes.items())),
            }
        case EffectsPassed(report=r):
            return {
                "kind": "effects.pass",
                "done": r.done,
                "retried": r.retried,
                "dead": r.dead,
                "lost": r.lost,
                "interrupted": r.interrupted,
                "released": r.released,
                "stuck": r.stuck,
                "unhandledKeys": list(r.unhandled_keys),
            }
        case Outage():
            return {
                "kind": "worker.outage",
                "part": report.part.value,
                "error": report.error,
                "failures": report.failures,
                "retryInSeconds": report.retry_in.total_seconds(),
            }
        case Recovered():
            return {"kind": "worker.recovered", "part": report.part.value}
        case Stopping():
            return {"kind": "worker.stopping", "graceSeconds": report.grace.total_seconds()}
        case Stopped(report=r):
            return {"kind": "worker.stopped", "putBack": r.interrupted + r.released}
