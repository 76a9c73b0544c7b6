"""Journals: JSON-lines files of what happened to orders, applied in order.

Each line is one JSON object, one of:

* a DR webhook event exactly as DR sends it (``id``, ``type``, ``data``);
* ``{"kind": "submit", "upstreamId": ..., "checkoutId": ...}``;
* ``{"kind": "create_order_response", "upstreamId": ..., "status": 201|409|404|400,
  "body": {...}}``.

A line that cannot be read is reported as ``FILE:LINE: what is wrong`` and the
rest still apply; a refused signal is an outcome, not an error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic_core import from_json

from orderfsm.commands import Command, CreateOrderResponse, Submit, WebhookEvent
from orderfsm.errors import JournalLineError, JournalStopped, OrderFsmError
from orderfsm.fsm.outcomes import NOT_RELEVANT, Outcome
from orderfsm.journal_resume import (
    DEFAULT_OUTAGES,
    Line,
    Outage,
    OutagePolicy,
    apply_resuming,
)
from orderfsm.persistence.journal_runs import new_run_id
from orderfsm.service import ApplyResult, Engine

CREATE_ORDER_STATUSES = (201, 400, 404, 409)

BATCH_SIZE = 500
"""Journal lines applied per transaction by :func:`apply_journal`."""


Entry = Command
"""One journal line, read."""


def read_entry(text: str) -> Entry:
    """Read one journal line; raise :class:`JournalLineError` naming what is wrong."""
    if not text.isascii():  # O(1): ASCII text holds no surrogate and needs no encoding test
        try:
            text.encode("utf-8")  # bytes that were not UTF-8 were kept as lone surrogates
        except UnicodeEncodeError as exc:
            byte = ord(text[exc.start]) - 0xDC00
            message = f"not UTF-8: byte 0x{byte:02x} at column {exc.start + 1}"
            raise JournalLineError(message) from None
    try:
        # pydantic-core's parser, as the DR adapter's: it refuses NaN and
        # Infinity too, and the event it decodes is not decoded again.
        data = from_json(text, allow_inf_nan=False)
    except ValueError as exc:
        raise JournalLineError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise JournalLineError(f"expected a JSON object, found {type(data).__name__}")
    kind = data.get("kind")
    if kind is None:
        missing = [k for k in ("id", "type", "data") if k not in data]
        if missing:
            raise JournalLineError(
                "neither a DR event nor a journal command: missing " + ", ".join(missing)
            )
        return WebhookEvent(text, data)
    if kind == "submit":
        return Submit(_text(data, "upstreamId"), _text(data, "checkoutId"))
    if kind == "create_order_response":
        status = data.get("status")
        if not isinstance(status, int) or status not in CREATE_ORDER_STATUSES:
            raise JournalLineError(f"status: expected one of 201, 400, 404, 409, found {status!r}")
        body = data.get("body")
        if not isinstance(body, dict):
            raise JournalLineError("body: expected a JSON object")
        return CreateOrderResponse(_text(data, "upstreamId"), status, body, decoded=True)
    raise JournalLineError(
        f"kind: unknown value {kind!r} (expected submit or create_order_response)"
    )


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise JournalLineError(f"{key}: expected a non-empty string, found {value!r}")
    return value


def apply_entry(engine: Engine, entry: Entry) -> ApplyResult:
    """Apply one journal entry through the engine (its own unit of work)."""
    return engine.apply(entry)


@dataclass(slots=True)
class JournalReport:
    """What a journal run did: outcomes tallied, unreadable lines listed, how far it got."""

    outcomes: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lines: int = 0
    """Lines read so far."""
    done: int = 0
    """Lines whose answer is known (applied and committed, or unreadable)."""
    last_done: str | None = None
    """``FILE:LINE`` of the last of them."""
    stopped: str | None = None
    """Why the run gave up before the end (the lines after ``last_done`` are not applied)."""

    @property
    def ok(self) -> bool:
        """True when every line was read and the run went to the end."""
        return not self.errors and self.stopped is None

    def progress(self) -> str:
        """One line: how far the run got, for an operator (printed at the end and on outages)."""
        tally = self.outcomes
        refused = sum(tally[o.value] for o in REFUSALS)
        return (
            f"{self.lines} lines read, {self.done} done: {tally[Outcome.APPLIED.value]} applied, "
            f"{tally[Outcome.DUPLICATE.value]} duplicates, {refused} refused, "
            f"{tally[Outcome.PARKED.value]} parked, {tally[NOT_RELEVANT]} not relevant, "
            f"{len(self.errors)} unreadable; last line done: {self.last_done or 'none'}"
        )


REFUSALS = (Outcome.STALE, Outcome.TERMINAL, Outcome.REFUSED)
"""Outcomes counted as "refused" in :meth:`JournalReport.progress`."""


def numbered_lines(paths: Iterable[Path]) -> Iterator[tuple[str, int, str]]:
    """``(file, line number, text)`` for every non-blank line of every file."""
    for path in paths:
        with path.open(encoding="utf-8", errors="surrogateescape") as handle:
            for number, text in enumerate(handle, start=1):
                if text.strip():
                    yield str(path), number, text


def apply_journal(
    engine: Engine,
    lines: Iterable[tuple[str, int, str]],
    *,
    progress: Callable[[], None] | None = None,
    batch_size: int = BATCH_SIZE,
    outages: OutagePolicy = DEFAULT_OUTAGES,
    on_outage: Callable[[Outage, JournalReport], None] | None = None,
) -> JournalReport:
    """Apply ``(file, line, text)`` lines in order; unreadable ones go to ``errors``.

    Lines are applied ``batch_size`` at a time with :meth:`Engine.apply_many`:
    the outcomes are those of applying them one by one, with one commit per
    batch (``batch_size=1`` commits every line). When the database goes away
    the run waits for it and resumes (:mod:`orderfsm.journal_resume`); if it
    gives up, ``stopped`` says why and ``last_done`` how far it got.
    """
    report = JournalReport()
    run_id = new_run_id()
    pending: list[Line] = []

    def record(line: Line, answer: ApplyResult | OrderFsmError) -> None:
        if isinstance(answer, OrderFsmError):
            report.errors.append(f"{line.where}: {answer}")
        else:
            report.outcomes[answer.outcome.value if answer.outcome else NOT_RELEVANT] += 1
        report.done += 1
        report.last_done = line.where
        if progress is not None:
            progress()

    def tell(outage: Outage) -> None:
        if on_outage is not None:
            on_outage(outage, report)

    try:
        for where, number, text in lines:
            report.lines += 1
            try:
                entry: Entry | OrderFsmError = read_entry(text)
            except OrderFsmError as exc:
                entry = exc
            pending.append(Line(f"{where}:{number}", report.lines, entry))
            if len(pending) >= batch_size:
                apply_resuming(engine, run_id, pending, record, policy=outages, on_outage=tell)
                pending.clear()
        apply_resuming(engine, run_id, pending, record, policy=outages, on_outage=tell)
    except JournalStopped as exc:
        report.stopped = str(exc)
        return report
    return report
