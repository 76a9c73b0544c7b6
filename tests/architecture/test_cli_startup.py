"""The CLI starts on click alone: commands load their stack when they run.

Checked in fresh interpreters (this test process has imported everything
long ago). Speed itself is measured by ``python -m bench --only startup``,
never asserted here.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import click
import pytest

from orderfsm.adapters.http import config as receiver_config
from orderfsm.adapters.http.config import ReceiverConfig
from orderfsm.cli import cli, options
from orderfsm.cli.app import COMMANDS
from orderfsm.cli.lazy import load
from orderfsm.persistence import EffectStatus, InboxStatus

HEAVY = ["sqlalchemy", "rich", "pydantic", "starlette", "uvicorn", "httpx", "alembic"]
LIGHT_COMMANDS = [
    "apply",
    "db",
    "demo",
    "diagram",
    "effects",
    "inbox",
    "lifecycle",
    "orders",
    "parked",
    "serve",
    "show",
    "worker",
]
"""Commands whose --help loads none of HEAVY."""


def loaded_after(args: list[str]) -> list[str]:
    """Which HEAVY modules ``orderfsm ARGS`` imported, in a fresh interpreter."""
    probe = (
        "import json, sys\n"
        "from orderfsm.cli import cli\n"
        "try:\n"
        f"    cli.main({args!r}, standalone_mode=False)\n"
        "finally:\n"
        f"    print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


def test_the_groups_help_and_version_load_no_heavy_library() -> None:
    assert loaded_after(["--help"]) == []
    assert loaded_after(["--version"]) == []


@pytest.mark.parametrize("name", LIGHT_COMMANDS)
def test_a_commands_own_help_loads_no_heavy_library(name: str) -> None:
    assert loaded_after([name, "--help"]) == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_listed_summary_is_the_first_line_of_its_commands_docstring(name: str) -> None:
    command = load(COMMANDS[name])

    assert command.name == name
    assert (command.help or "").strip().splitlines()[0] == COMMANDS[name].summary


def test_every_command_module_is_listed() -> None:
    found = set()
    for name in COMMANDS:
        module = importlib.import_module(COMMANDS[name].target.partition(":")[0])
        found |= {v.name for v in vars(module).values() if isinstance(v, click.Command)}

    assert set(cli.list_commands(click.Context(cli))) == set(COMMANDS)
    assert set(COMMANDS) <= found


def test_the_clis_copies_of_names_agree_with_their_sources() -> None:
    assert options.ENV_DB == receiver_config.ENV_DB
    assert options.ENV_SECRETS == receiver_config.ENV_SECRETS
    assert tuple(s.value for s in InboxStatus) == options.INBOX_STATUSES
    assert tuple(s.value for s in EffectStatus) == options.EFFECT_STATUSES


def test_the_serve_help_shows_the_defaults_the_receiver_runs_with() -> None:
    from orderfsm.adapters.http import protocol
    from orderfsm.cli import serve

    config = ReceiverConfig("sqlite://", secrets=("whsec_x",))
    assert config.tolerance.total_seconds() == serve.DEFAULT_TOLERANCE_S
    assert config.max_body_bytes == serve.DEFAULT_MAX_BODY_BYTES
    assert config.body_timeout == serve.DEFAULT_BODY_TIMEOUT_S
    assert config.path == serve.WEBHOOK_PATH
    server = protocol.ServerConfig(app=None)
    assert server.header_timeout == serve.DEFAULT_HEADER_TIMEOUT_S
    assert server.max_header_bytes == serve.DEFAULT_MAX_HEADER_BYTES
    assert server.max_connections == serve.DEFAULT_MAX_CONNECTIONS
    for name in (
        "ENV_SECRET_FILE",
        "ENV_BASIC_AUTH_USER",
        "ENV_BASIC_AUTH_PASSWORD",
        "ENV_BASIC_AUTH_PASSWORD_FILE",
    ):
        assert getattr(serve, name) == getattr(receiver_config, name), name


def test_the_worker_help_shows_the_defaults_the_worker_runs_with() -> None:
    from orderfsm.cli import worker
    from orderfsm.dispatch import DispatchConfig
    from orderfsm.service.worker import WorkerConfig

    config = WorkerConfig()
    assert config.interval.total_seconds() == worker.DEFAULT_INTERVAL_SECONDS
    assert config.grace.total_seconds() == worker.DEFAULT_GRACE_SECONDS
    assert DispatchConfig().max_attempts == worker.DEFAULT_MAX_ATTEMPTS
    assert config.dispatch.lease.total_seconds() == worker.DEFAULT_LEASE_SECONDS
    assert config.dispatch.handler_timeout.total_seconds() == worker.DEFAULT_HANDLER_TIMEOUT_SECONDS
    assert config.dispatch.handler_slots == worker.DEFAULT_HANDLER_SLOTS
