"""orderfsm's log records on the terminal, their data made harmless like all CLI output.

The engine and the inbox log with ``logging`` (an event id, a DR error):
without a handler, Python's last-resort one writes them raw, control
characters and URLs' passwords included. :func:`log_to_terminal` gives the
``orderfsm`` logger one handler that shows each message as plain visible
text with passwords hidden.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from orderfsm.cli.redact import redact
from orderfsm.cli.text import visible

LOGGER = "orderfsm"


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


def log_to_terminal(level: int = logging.WARNING) -> None:
    """Send ``orderfsm``'s records at ``level`` and above to stderr, once per process.

    The level is the handler's: the logger's own stays as the host (or a test) set it.
    """
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(h, TerminalHandler) for h in logger.handlers):
        handler = TerminalHandler()
        handler.setLevel(level)
        logger.addHandler(handler)
