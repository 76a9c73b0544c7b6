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

from collections.abc import Callable
from dataclasses import fields
from datetime import timedelta
from enum import Enum
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
    build = _BUILDERS.get(type(report))
    return build(report) if build is not None else _generic(report)


def _signal(report: Any) -> dict[str, Any]:
    e = report.entry
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


def _effect(report: Any) -> dict[str, Any]:
    d = report.delivery
    return {
        "kind": "effect",
        "order": d.upstream_id,
        "effect": d.effect.value,
        "key": d.key,
        "status": d.result.value,
        "attempts": d.attempt,
        "error": d.error,
    }


def _inbox_pass(report: Any) -> dict[str, Any]:
    r = report.report
    return {
        "kind": "inbox.pass",
        "applied": r.applied,
        "retried": r.retried,
        "dead": r.dead,
        "released": r.released,
        "outcomes": dict(sorted(r.outcomes.items())),
    }


def _effects_pass(report: Any) -> dict[str, Any]:
    r = report.report
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


def _stopped(report: Any) -> dict[str, Any]:
    return {"kind": "worker.stopped", "putBack": report.report.interrupted + report.report.released}


_BUILDERS: dict[type, Callable[[Any], dict[str, Any]]] = {
    EntryHandled: _signal,
    EffectHandled: _effect,
    InboxPassed: _inbox_pass,
    EffectsPassed: _effects_pass,
    Stopped: _stopped,
}
"""Reports whose record is more than their own fields; the rest go through :func:`_generic`."""

_KINDS: dict[type, str] = {
    Started: "worker.started",
    Outage: "worker.outage",
    Recovered: "worker.recovered",
    Stopping: "worker.stopping",
}


def _generic(report: Any) -> dict[str, Any]:
    """A report's own fields but ``at``, camelCased; durations in seconds, enums as values."""
    kind = _KINDS.get(type(report)) or "worker." + _snake(type(report).__name__)
    record: dict[str, Any] = {"kind": kind}
    for f in fields(report):
        if f.name != "at":
            record |= _field(f.name, getattr(report, f.name))
    return record


def _field(name: str, value: Any) -> dict[str, Any]:
    head, *rest = name.split("_")
    key = head + "".join(word.title() for word in rest)
    if isinstance(value, timedelta):
        return {f"{key}Seconds": value.total_seconds()}
    if isinstance(value, Enum):
        return {key: value.value}
    return {key: value}


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
