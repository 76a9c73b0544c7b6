"""No command prints a password from a ``--db`` URL, whether the URL parses or not.

Every command that takes ``--db`` (and ``ORDERFSM_DB``) is run through the
console entry point (``orderfsm.cli.main``, in-process) with URLs of many
shapes, each holding a password and none reaching a database; whatever the
command says, on stdout or stderr, holds no piece of the password.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from orderfsm.cli import main
from orderfsm.cli.worker import printer
from orderfsm.service.worker_reports import Outage, Part
from tests.support.cli import ORDERFSM

CLOSED = "127.0.0.1:9"
URLS = {
    "no scheme slashes (issue 14)": "postgres:/shop:TopSecretPw@127.0.0.1/shop",
    "no scheme at all": "shop:TopSecretPw@127.0.0.1/shop",
    "a port that is not a number": "postgresql://shop:TopSecretPw@127.0.0.1:notaport/shop",
    "an unclosed IPv6 host": "postgresql://shop:TopSecretPw@[::1/shop",
    "an unsupported database": "mysql://shop:TopSecretPw@db.example/shop",
    "a valid URL, nobody listening": f"postgresql+psycopg://shop:TopSecretPw@{CLOSED}/shop",
    "an @ in the password": f"postgresql+psycopg://shop:TopSecret@Pw@{CLOSED}/shop",
    "a blank in the password": f"postgresql+psycopg://shop:TopSecret Pw@{CLOSED}/shop",
    "a password in the query": f"postgresql+psycopg://{CLOSED}/shop?password=TopSecretPw",
}
PIECES = ("TopSecret", "SecretPw")
"""What must not be printed: any of these pieces of the password."""

COMMANDS = {
    "apply": ["apply", "{journal}"],
    "show": ["show", "SHOP-1"],
    "db current": ["db", "current"],
    "db upgrade": ["db", "upgrade"],
    "inbox": ["inbox"],
    "inbox retry": ["inbox", "retry", "7"],
    "effects": ["effects"],
    "effects retry": ["effects", "retry", "SHOP-1:accepted:request_shipment"],
    "diagram --order": ["diagram", "--order", "SHOP-1", "--format", "mermaid"],
    "worker": ["worker", "--once"],
}


def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str]
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["orderfsm", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    captured = capsys.readouterr()
    return (code if isinstance(code, int) else 1), captured.out + captured.err


def command_args(name: str, tmp_path: Path) -> list[str]:
    journal = tmp_path / "journal.jsonl"
    journal.write_text('{"kind": "submit", "upstreamId": "SHOP-1", "checkoutId": "co-1"}\n')
    return [part.format(journal=journal) for part in COMMANDS[name]]


@pytest.mark.parametrize("shape", URLS)
@pytest.mark.parametrize("name", COMMANDS)
def test_no_command_prints_the_password_of_its_db_url(
    name: str,
    shape: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("ORDERFSM_DB", raising=False)
    args = [*command_args(name, tmp_path), "--db", URLS[shape]]
    code, printed = run_cli(monkeypatch, capsys, args)

    assert code != 0
    assert printed.strip(), "the command said nothing about what went wrong"
    assert not [piece for piece in PIECES if piece in printed], printed


UNBINDABLE_HOST = "192.0.2.1"
"""TEST-NET-1: no interface of this machine has it, so uvicorn cannot listen there."""


@pytest.mark.parametrize("shape", URLS)
def test_serve_prints_no_password_of_its_db_url_reachable_or_not(shape: str) -> None:
    # serve starts while the database is away (it answers 503 until it is
    # back), so it runs in a process of its own and is given an address it
    # cannot listen on: it says what it would serve, and why the database
    # cannot take deliveries yet, then exits 1.
    argv = [ORDERFSM, "serve", "--db", URLS[shape], "--host", UNBINDABLE_HOST, "--port", "0"]
    env = {**os.environ, "ORDERFSM_WEBHOOK_SECRETS": "whsec_x"}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)
    printed = done.stdout + done.stderr

    assert done.returncode != 0
    assert printed.strip(), "serve said nothing about what went wrong"
    assert not [piece for piece in PIECES if piece in printed], printed


@pytest.mark.parametrize("shape", URLS)
def test_a_url_from_the_environment_is_hidden_the_same_way(
    shape: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORDERFSM_DB", URLS[shape])
    code, printed = run_cli(monkeypatch, capsys, command_args("show", tmp_path))

    assert code != 0
    assert not [piece for piece in PIECES if piece in printed], printed


def test_the_workers_line_for_a_failed_pass_hides_the_password() -> None:
    out = io.StringIO()
    show = printer(Console(file=out, width=200, highlight=False))

    show(
        Outage(
            at=datetime(2026, 12, 1, tzinfo=UTC),
            part=Part.INBOX,
            error=f"cannot open postgresql://shop:TopSecretPw@{CLOSED}/shop",
            failures=1,
            retry_in=timedelta(seconds=1),
        )
    )

    line = out.getvalue()
    assert f"cannot open postgresql://shop:***@{CLOSED}/shop" in line
    assert not any(piece in line for piece in PIECES)
