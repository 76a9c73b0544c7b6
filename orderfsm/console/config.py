"""What a console needs: the database, who may use it, and the deadlines that make "stuck"."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine as DbEngine

from orderfsm.console.auth import Credentials
from orderfsm.fsm.states import OrderState
from orderfsm.service import Engine
from orderfsm.service.stuck import deadlines_with

ENV_PASSWORD = "ORDERFSM_CONSOLE_PASSWORD"
"""The console's password (or bearer token); never taken from the command line."""
ENV_USER = "ORDERFSM_CONSOLE_USER"
DEFAULT_USER = "operator"


@dataclass(frozen=True, slots=True)
class ConsoleConfig:
    """The console of one database.

    ``database`` is the host's :class:`~orderfsm.Engine` (its connections are
    used) or a URL (opened on the first request). ``credentials`` ``None``
    serves loopback clients only. ``deadlines`` override the lifecycle's own
    for "stuck" (as ``orderfsm stuck`` takes them).
    """

    database: Engine | str
    credentials: Credentials | None = None
    deadlines: Mapping[OrderState, timedelta] | None = None


class DatabaseHolder:
    """The console's database, opened once, on first use (a mounted app gets no lifespan)."""

    def __init__(self, config: ConsoleConfig) -> None:
        self._config = config
        self._engine = config.database if isinstance(config.database, Engine) else None
        self._owned = False
        self._lock = threading.Lock()
        self.deadlines = deadlines_with(config.deadlines)

    @property
    def engine(self) -> Engine:
        """The engine (opening the URL the first time)."""
        with self._lock:
            if self._engine is None:
                assert isinstance(self._config.database, str)
                self._engine = Engine.open(self._config.database)
                self._owned = True
            return self._engine

    @property
    def db(self) -> DbEngine:
        """The SQLAlchemy engine under it."""
        return self.engine.db

    def close(self) -> None:
        """Close what this console opened itself (never the host's engine)."""
        with self._lock:
            if self._owned and self._engine is not None:
                self._engine.close()
                self._engine = None
                self._owned = False
