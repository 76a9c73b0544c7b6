"""User mistakes end as one clear line and a non-zero exit, never a traceback.

Each command that opens a database is given a URL that is not one, a
PostgreSQL server nobody listens on, and a database whose schema is behind.
The console entry point (``orderfsm.cli.main``) runs in-process, so the many
cases stay quick.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from orderfsm import Engine
from orderfsm.cli import main
from tests.support.cli import ORDERFSM

UNREACHABLE = "postgresql+psycopg://shop:s3cret-pw@127.0.0.1:9/shop"

# Every command that reads --db, with the other arguments it needs.
DB_COMMANDS = {
    "apply": ["apply", "{journal}"],
    "show": ["show", "SHOP-1"],
    "db current": ["db", "current"],
    "inbox": ["inbox"],
    "inbox retry": ["inbox", "retry", "7"],
    "serve": ["serve", "--secret", "whsec_x", "--port", "0"],
    "diagram --order": ["diagram", "--order", "SHOP-1", "--format", "mermaid"],
    "worker": ["worker", "--once"],
    "effects": ["effects"],
}


def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str]
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["orderfsm", *args])
    monkeypatch.delenv("ORDERFSM_DB", raising=False)
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err


def with_db(name: str, url: str, tmp_path: Path) -> list[str]:
    journal = tmp_path / "journal.jsonl"
    journal.write_text('{"kind": "submit", "upstreamId": "SHOP-1", "checkoutId": "co-1"}\n')
    return [part.format(journal=journal) for part in DB_COMMANDS[name]] + ["--db", url]


def assert_one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    return lines[-1]


@pytest.mark.parametrize("name", DB_COMMANDS)
def test_a_url_that_is_not_a_database_url_is_one_clear_line(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_cli(monkeypatch, capsys, with_db(name, "shop.db", tmp_path))

    assert code == 1
    assert "not a database URL: 'shop.db'" in assert_one_line(err)


@pytest.mark.parametrize("name", DB_COMMANDS)
def test_an_unsupported_database_is_one_clear_line(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_cli(monkeypatch, capsys, with_db(name, "mysql://shop@db/shop", tmp_path))

    assert code == 1
    assert "unsupported database" in assert_one_line(err)


MALFORMED_URLS = {
    "a port that is not a number": "postgresql+psycopg://shop:s3cret-pw@127.0.0.1:notaport/shop",
    "an unclosed IPv6 host": "postgresql+psycopg://shop:s3cret-pw@[::1/shop",
}


@pytest.mark.parametrize("name", [*DB_COMMANDS, "db upgrade"])
@pytest.mark.parametrize("case", MALFORMED_URLS)
def test_a_url_whose_host_or_port_cannot_be_read_is_one_clear_line(
    name: str,
    case: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["db", "upgrade", "--db", MALFORMED_URLS[case]]
    if name != "db upgrade":
        args = with_db(name, MALFORMED_URLS[case], tmp_path)
    code, err = run_cli(monkeypatch, capsys, args)

    assert code == 1
    line = assert_one_line(err)
    assert "malformed database URL: its host or port cannot be read" in line
    assert "s3cret-pw" not in err


@pytest.mark.parametrize("name", [*DB_COMMANDS, "db upgrade"])
@pytest.mark.parametrize("driver", ["psycopg2", "asyncpg"])
def test_a_postgresql_driver_orderfsm_does_not_use_is_one_clear_line(
    name: str,
    driver: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"postgresql+{driver}://shop@127.0.0.1:9/shop"
    args = ["db", "upgrade", "--db", url]
    if name != "db upgrade":
        args = with_db(name, url, tmp_path)
    code, err = run_cli(monkeypatch, capsys, args)

    assert code == 1
    assert assert_one_line(err).endswith(
        f"rror: unsupported driver {driver}: use postgresql:// or postgresql+psycopg://"
    )


@pytest.mark.parametrize("name", [n for n in DB_COMMANDS if n != "serve"])
def test_an_unreachable_postgresql_is_one_line_without_the_password(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_cli(monkeypatch, capsys, with_db(name, UNREACHABLE, tmp_path))

    assert code == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and len(lines) == 1
    assert (
        lines[0].lower().startswith("error: cannot open postgresql+psycopg://shop:***@127.0.0.1:9/")
    )
    assert "connection failed" in lines[0] and "s3cret-pw" not in err


def test_serve_with_an_unreachable_postgresql_starts_and_says_why_in_one_line() -> None:
    # serve waits the outage out (503 until the database is back): run apart,
    # on an address it cannot listen on (TEST-NET-1), it warns, then fails to listen.
    argv = [ORDERFSM, "serve", "--db", UNREACHABLE, "--host", "192.0.2.1", "--port", "0"]
    env = {**os.environ, "ORDERFSM_WEBHOOK_SECRETS": "whsec_x"}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)

    warnings = [line for line in done.stderr.splitlines() if "cannot take deliveries" in line]
    assert done.returncode != 0  # uvicorn's "startup failed"
    assert "Traceback" not in done.stderr
    assert len(warnings) == 1
    assert "postgresql+psycopg://shop:***@127.0.0.1:9/" in warnings[0]
    assert "connection failed" in warnings[0] and "answering 503" in warnings[0]
    assert "s3cret-pw" not in done.stdout + done.stderr


@pytest.fixture
def behind_db(tmp_path: Path) -> str:
    """A database that has orderfsm's tables but no record of its schema revision."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    Engine.open(url, create_if_empty=True).close()
    with sqlite3.connect(tmp_path / "old.db") as connection:
        connection.execute("DELETE FROM alembic_version")
    return url


@pytest.mark.parametrize("name", [n for n in DB_COMMANDS if n != "db current"])
def test_a_database_that_is_behind_says_how_to_upgrade_it(
    name: str,
    behind_db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = run_cli(monkeypatch, capsys, with_db(name, behind_db, tmp_path))

    assert code == 1
    # click's own errors say "Error:", orderfsm's "error:"; both are one line.
    assert assert_one_line(err).lower() == (
        "error: database schema is at no revision, this orderfsm needs "
        f"{head_revision()}; run: orderfsm db upgrade --db {behind_db}"
    )


def test_a_missing_journal_file_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.jsonl"
    code, err = run_cli(monkeypatch, capsys, ["apply", str(missing), "--db", "sqlite://"])

    assert code == 2
    assert f"'{missing}' does not exist" in assert_one_line(err)


def test_serve_without_a_secret_says_where_to_give_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ORDERFSM_WEBHOOK_SECRETS", raising=False)
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    code, err = run_cli(monkeypatch, capsys, ["serve", "--db", url])

    assert code == 2
    assert "ORDERFSM_WEBHOOK_SECRETS or --secret-file" in assert_one_line(err)


def head_revision() -> str:
    from orderfsm.persistence.schema import head_revision as head

    return head()
