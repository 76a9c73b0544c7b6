"""``orderfsm serve``'s logging: uvicorn's, and orderfsm's own lines, as text or JSON.

Text (the default): uvicorn's lines as uvicorn writes them; orderfsm's (one
per delivery answered, refusals, storage errors) as ``TIME LEVEL message``,
the time in UTC, naming the event id when the body was read. JSON: every
line, uvicorn's access and error lines included, is one object
(:class:`~orderfsm.cli.logs.JsonFormatter`). ``--log-level`` applies to both.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from orderfsm.cli.logs import LOGGER, JsonFormatter, LogFormat, formatter_for, json_line, utc_time


def log_config(log_format: LogFormat, log_level: str) -> dict[str, Any]:
    """The ``dictConfig`` given to uvicorn (applied in each of its worker processes)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    ours = formatter_for(log_format)
    config["formatters"][LOGGER] = {"()": f"{ours.__module__}.{ours.__qualname__}"}
    if log_format is LogFormat.JSON:
        json_formatter = {"()": f"{JsonFormatter.__module__}.{JsonFormatter.__qualname__}"}
        config["formatters"]["default"] = config["formatters"]["access"] = json_formatter
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
    return config


def started_line(message: str) -> str:
    """The banner of ``serve --log-format json``."""
    record = {"time": utc_time(time.time()), "level": "info", "kind": "serve.started"}
    return json_line({**record, "message": message})
