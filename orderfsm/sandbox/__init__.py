"""A stateful local Digital River for the demo, orderfsm's tests and users' own tests.

It keeps checkouts, orders, charges, fulfilments and events in memory,
answers DR's endpoints with real-shaped payloads, walks orders through DR's
states per checkout :class:`Scenario`, signs and POSTs webhooks, and injects
faults on demand (see :mod:`.faults` for the SPEC, :mod:`.control` for the
``/_sandbox/`` API). ``create_sandbox(config)`` is the ASGI app;
``sandbox_in_thread(config)`` serves one on a free port for a test.
"""

from orderfsm.sandbox.app import create_sandbox
from orderfsm.sandbox.config import DEFAULT_KEY, SandboxConfig
from orderfsm.sandbox.faults import Faults, parse_faults
from orderfsm.sandbox.scenarios import Scenario
from orderfsm.sandbox.server import RunningSandbox, sandbox_in_thread

__all__ = [
    "DEFAULT_KEY",
    "Faults",
    "RunningSandbox",
    "SandboxConfig",
    "Scenario",
    "create_sandbox",
    "parse_faults",
    "sandbox_in_thread",
]
