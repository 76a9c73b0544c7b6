"""``orderfsm serve``'s log lines: uvicorn's, each stamped with the UTC time, plus orderfsm's.

Every line starts with an ISO 8601 UTC timestamp (``2026-12-02T01:50:00.123Z``),
access lines included, so an operator can line the receiver's log up with
DR's delivery log and the worker's. orderfsm's own lines name each delivery
by event id, type and order ref (see :mod:`orderfsm.adapters.http.app`);
uvicorn's access lines cannot (they are written before anything reads the
body), so the two together say who sent what and what became of it.

Loaded only when the server starts (it imports uvicorn).
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any

from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter, DefaultFormatter

TIMESTAMP = "%(asctime)s "
"""Put before uvicorn's own format of each line."""


def utc_time(record: logging.LogRecord) -> str:
    """The record's time as ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{stamp}.{int(record.msecs):03d}Z"


class UtcFormatter(DefaultFormatter):
    """uvicorn's formatter for its own and orderfsm's lines, timestamped in UTC."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """ISO 8601, UTC, milliseconds (the only format the receiver writes)."""
        return utc_time(record)


class UtcAccessFormatter(AccessFormatter):
    """uvicorn's access-line formatter, timestamped in UTC."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """ISO 8601, UTC, milliseconds."""
        return utc_time(record)


def receiver_log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's logging with UTC timestamps, and the ``orderfsm`` logger at ``level``."""
    config = copy.deepcopy(LOGGING_CONFIG)
    formatters = config["formatters"]
    for name, formatter in (("default", UtcFormatter), ("access", UtcAccessFormatter)):
        formatters[name]["()"] = f"{__name__}.{formatter.__name__}"
        formatters[name]["fmt"] = TIMESTAMP + formatters[name]["fmt"]
    config["loggers"]["orderfsm"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config
