"""``orderfsm serve --log-format``: uvicorn's logging configuration, as text or JSON.

Text (the default) is :func:`orderfsm.cli.serve_logs.receiver_log_config`:
every line stamped with its UTC time. JSON: :func:`as_json` gives every
formatter of that ``dictConfig`` (uvicorn's access and error lines included)
:class:`~orderfsm.cli.logs.JsonFormatter`.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from orderfsm.cli.logs import JsonFormatter, json_line, utc_time


def _factory(formatter: type) -> dict[str, str]:
    return {"()": f"{formatter.__module__}.{formatter.__qualname__}"}


def as_json(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with every formatter writing one JSON object a line."""
    config = copy.deepcopy(config)
    config["formatters"] = {name: _factory(JsonFormatter) for name in config["formatters"]}
    return config


def started_line(message: str) -> str:
    """The banner of ``serve --log-format json``."""
    record = {"time": utc_time(time.time()), "level": "info", "kind": "serve.started"}
    return json_line({**record, "message": message})
