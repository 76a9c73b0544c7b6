"""``orderfsm serve --log-format``: uvicorn's logging configuration, as text or JSON.

Text (the default): uvicorn's lines as uvicorn writes them, orderfsm's
(refusals, storage errors) as ``TIME LEVEL message`` with the time in UTC.
JSON: :func:`as_json` gives every formatter of a ``dictConfig`` (uvicorn's
access and error lines included) :class:`~orderfsm.cli.logs.JsonFormatter`,
so it applies on top of any text configuration. ``--log-level`` sets
orderfsm's logger too.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from orderfsm.cli.logs import LOGGER, JsonFormatter, LogFormat, TimedFormatter, json_line, utc_time


def _factory(formatter: type) -> dict[str, str]:
    return {"()": f"{formatter.__module__}.{formatter.__qualname__}"}


def log_config(log_format: LogFormat, log_level: str) -> dict[str, Any]:
    """The ``dictConfig`` given to uvicorn (applied in each of its worker processes)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"][LOGGER] = _factory(TimedFormatter)
    config["handlers"][LOGGER] = {
        "formatter": LOGGER,
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["loggers"][LOGGER] = {
        "handlers": [LOGGER],
        "level": log_level.upper(),
        "propagate": False,
    }
    return as_json(config) if log_format is LogFormat.JSON else config


def as_json(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with every formatter writing one JSON object a line."""
    config = copy.deepcopy(config)
    config["formatters"] = {name: _factory(JsonFormatter) for name in config["formatters"]}
    return config


def started_line(message: str) -> str:
    """The banner of ``serve --log-format json``."""
    record = {"time": utc_time(time.time()), "level": "info", "kind": "serve.started"}
    return json_line({**record, "message": message})
