"""The operator console: orders, one order's story, the lifecycle, inbox and effects, retries.

A Starlette app (the ``server`` extra) that a host mounts in its ASGI app,
or ``orderfsm console --db URL`` serves. Imports Starlette: import it only
where the console is wanted.
"""

from orderfsm.console.app import console_app
from orderfsm.console.auth import Credentials
from orderfsm.console.config import ConsoleConfig

__all__ = ["ConsoleConfig", "Credentials", "console_app"]
