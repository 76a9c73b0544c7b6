"""orderfsm's log records on the terminal, their data made harmless like all CLI output.

The engine and the inbox log with ``logging`` (an event id, a DR error):
without a handler, Python's last-resort one writes them raw, control
characters and URLs' passwords included. :func:`log_to_terminal` gives the
``orderfsm`` logger one handler that shows each message as plain visible
text with passwords hidden.

``--log-format`` (:func:`log_format_option`, on ``serve``, ``worker`` and
the console) picks ``text`` (the default: ``TIME LEVEL message``) or
``json``: one object a line (:func:`json_line`), ``time`` in UTC ISO 8601,
``level``, ``message``, and the record's ``fields`` (``extra={"fields":
{...}}``: event id, order, trigger, outcome...). Every string in it goes
through :func:`~orderfsm.cli.redact.redact`; JSON escapes control
characters (and, ASCII only, everything else a terminal could misread).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TextIO, TypeVar

import click

from orderfsm.cli.redact import redact
from orderfsm.cli.text import visible

LOGGER = "orderfsm"
FIELDS = "fields"
"""The ``extra`` key whose mapping a JSON line carries beside the message."""

F = TypeVar("F", bound=Callable[..., Any])


class LogFormat(StrEnum):
    """What ``--log-format`` offers."""

    TEXT = "text"
    JSON = "json"


def log_format_option(command: F) -> F:
    """``--log-format text|json`` (``ORDERFSM_LOG_FORMAT``), given as a :class:`LogFormat`."""
    return click.option(
        "--log-format",
        type=click.Choice([f.value for f in LogFormat]),
        default=LogFormat.TEXT.value,
        show_default=True,
        envvar="ORDERFSM_LOG_FORMAT",
        show_envvar=True,
        callback=lambda _ctx, _param, value: LogFormat(value),
        help="text: one readable line per record; json: one JSON object per line "
        "(UTC time, level, message and fields such as eventId, order, trigger, outcome).",
    )(command)


def utc_time(moment: float | datetime) -> str:
    """ISO 8601 in UTC to the millisecond, with a ``Z`` (a ``time.time()`` float or a datetime)."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def json_line(fields: Mapping[str, Any]) -> str:
    """``fields`` as one JSON line, every string redacted (passwords of URLs hidden)."""
    return json.dumps(_redacted(fields), separators=(",", ":"), default=str)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {str(k): _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """A record as one JSON line: time, level, logger, message, its ``fields``, its error."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": utc_time(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, Mapping):
            line.update((k, v) for k, v in fields.items() if k not in line)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json_line(line)


class TimedFormatter(logging.Formatter):
    """``TIME LEVEL message`` on one line, control characters as ``\\xNN``, passwords hidden."""

    def format(self, record: logging.LogRecord) -> str:
        message = visible(redact(record.getMessage()))
        line = f"{utc_time(record.created)} {record.levelname} {message}"
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


def formatter_for(log_format: LogFormat) -> type[logging.Formatter]:
    """The formatter class of ``log_format`` (also named in uvicorn's ``dictConfig``)."""
    return JsonFormatter if log_format is LogFormat.JSON else TimedFormatter


class TerminalHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is now (click's test runner swaps it per call)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(VisibleFormatter())

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        """The stream is always the current ``sys.stderr``; nothing to set."""


class VisibleFormatter(logging.Formatter):
    """The message on one line, control characters as ``\\xNN``, passwords hidden."""

    def format(self, record: logging.LogRecord) -> str:
        line = visible(redact(record.getMessage()))
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


def log_to_terminal(level: int = logging.WARNING, log_format: LogFormat | None = None) -> None:
    """Send ``orderfsm``'s records at ``level`` and above to stderr, once per process.

    The level is the handler's: the logger's own stays as the host (or a test)
    set it. Without ``log_format`` the message alone is shown (the demo).
    """
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(h, TerminalHandler) for h in logger.handlers):
        handler = TerminalHandler()
        if log_format is not None:
            handler.setFormatter(formatter_for(log_format)())
        handler.setLevel(level)
        logger.addHandler(handler)
