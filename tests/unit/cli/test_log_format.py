"""``--log-format``'s two formatters and the worker's JSON records: fields, times, no password."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from orderfsm.cli.logs import JsonFormatter, TimedFormatter, json_line
from orderfsm.cli.redact import remember_url
from orderfsm.dispatch import Delivery, DeliveryResult, DispatchReport
from orderfsm.fsm.effects import EffectName
from orderfsm.inbox import AppliedEntry, InboxReport
from orderfsm.service.worker_records import report_record
from orderfsm.service.worker_reports import (
    EffectHandled,
    EffectsPassed,
    EntryHandled,
    InboxPassed,
    Outage,
    Part,
    Recovered,
    Started,
    Stopped,
    Stopping,
    WorkerReport,
)

URL = "postgresql://shop:pw-do-not-print-31f@db.internal/shop"
AT = datetime(2026, 5, 4, 10, 0, 0, 123456, tzinfo=UTC)


def record(message: str, *args: object, **fields: object) -> logging.LogRecord:
    made = logging.LogRecord("orderfsm.test", logging.WARNING, __file__, 1, message, args, None)
    made.created = AT.timestamp()
    if fields:
        made.fields = fields
    return made


def test_a_json_line_hides_a_database_password_in_the_message_and_in_any_field() -> None:
    line = JsonFormatter().format(
        record("cannot reach %s", URL, order="UP-1", detail={"url": URL, "tries": [URL]})
    )
    parsed = json.loads(line)

    assert "pw-do-not-print" not in line
    assert parsed["time"] == "2026-05-04T10:00:00.123Z"
    assert parsed["level"] == "warning" and parsed["order"] == "UP-1"
    assert parsed["message"] == "cannot reach postgresql://shop:***@db.internal/shop"
    assert parsed["detail"] == {
        "url": "postgresql://shop:***@db.internal/shop",
        "tries": ["postgresql://shop:***@db.internal/shop"],
    }


def test_a_password_given_on_the_command_line_is_hidden_even_where_no_url_rule_sees_it() -> None:
    odd = "postgresql://shop:pass with blanks-do-not-print@db/shop"
    remember_url(odd)
    line = json_line({"error": f"bad {odd}"})

    assert "do-not-print" not in line


def test_a_text_line_starts_with_its_utc_time_and_level_and_shows_control_characters() -> None:
    line = TimedFormatter().format(record("event %s refused", "evt-\x1b[31m", order="UP-1"))

    assert line == "2026-05-04T10:00:00.123Z WARNING event evt-\\x1b[31m refused"


DELIVERY = Delivery(
    "UP-1:accepted:request_shipment",
    EffectName.REQUEST_SHIPMENT,
    "UP-1",
    2,
    DeliveryResult.RETRIED,
    "timed out: 5s",
)
ENTRY = AppliedEntry(
    "evt-1",
    "order.accepted",
    "UP-1",
    "refused",
    trigger="accept",
    reason="all charges authorized: ch-2 is pending",
)


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (
            EntryHandled(AT, ENTRY),
            {
                "kind": "signal",
                "eventId": "evt-1",
                "eventType": "order.accepted",
                "order": "UP-1",
                "trigger": "accept",
                "outcome": "refused",
                "reason": "all charges authorized: ch-2 is pending",
                "error": None,
            },
        ),
        (
            EffectHandled(AT, DELIVERY),
            {
                "kind": "effect",
                "order": "UP-1",
                "effect": "request_shipment",
                "key": "UP-1:accepted:request_shipment",
                "status": "retried",
                "attempts": 2,
                "error": "timed out: 5s",
            },
        ),
        (Started(AT, 3, timedelta(seconds=2), False), {"kind": "worker.started", "handled": 3}),
        (InboxPassed(AT, InboxReport(claimed=1, applied=1)), {"kind": "inbox.pass", "applied": 1}),
        (EffectsPassed(AT, DispatchReport(done=2)), {"kind": "effects.pass", "done": 2}),
        (
            Outage(AT, Part.INBOX, "OperationalError: down", 2, timedelta(seconds=1)),
            {"kind": "worker.outage", "level": "warning", "failures": 2},
        ),
        (Recovered(AT, Part.EFFECTS, 2), {"kind": "worker.recovered", "part": "effects"}),
        (Stopping(AT, timedelta(seconds=10)), {"kind": "worker.stopping", "graceSeconds": 10.0}),
        (Stopped(AT, DispatchReport(interrupted=1)), {"kind": "worker.stopped", "putBack": 1}),
    ],
)
def test_every_worker_report_becomes_a_record_with_its_time_kind_fields_and_message(
    report: WorkerReport, expected: dict[str, object]
) -> None:
    made = report_record(report)

    assert made["time"] == "2026-05-04T10:00:00.123Z"
    assert made.items() >= expected.items()
    assert made["message"] and not made["message"].startswith("2026")
    assert json.loads(json_line(made)) == made
