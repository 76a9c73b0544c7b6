"""A command that only reads (or changes stored orders) never creates the SQLite file it is
given: a typo in ``--db`` is one line naming the file, and no empty file is left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_orderfsm

READERS = [
    ("show", "SHOP-0001"),
    ("effects",),
    ("effects", "--order", "SHOP-0001"),
    ("effects", "retry", "SHOP-0001:accepted:request_shipment"),
    ("inbox",),
    ("inbox", "show", "evt-1"),
    ("orders",),
    ("parked",),
    ("stuck",),
    ("fulfil", "SHOP-0001", "it-1=1"),
    ("cancel", "SHOP-0001", "--all"),
    ("refresh", "SHOP-0001", "--dr-key", "sk_test_x", "--dr-url", "http://127.0.0.1:9"),
    ("diagram", "--order", "SHOP-0001", "-o", "order.svg"),
    ("console", "--port", "0"),
]


@pytest.mark.parametrize("args", READERS, ids=lambda a: " ".join(a[:2]))
def test_a_reading_command_refuses_a_missing_sqlite_file_and_leaves_none(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    typo = tmp_path / "typo.db"
    url = f"sqlite:///{typo}"

    done = run_orderfsm(*args, "--db", url, cwd=tmp_path)

    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        f"error: no database file '{typo}': create it with orderfsm db upgrade --db {url}, "
        "or fix --db"
    ]
    assert not typo.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_the_default_database_is_refused_the_same_way_when_missing(tmp_path: Path) -> None:
    done = run_orderfsm("orders", cwd=tmp_path, env={"ORDERFSM_DB": "sqlite:///orderfsm.db"})

    assert done.returncode == 1
    assert done.stderr.startswith("error: no database file 'orderfsm.db': ")
    assert not (tmp_path / "orderfsm.db").exists()


def test_db_current_says_a_missing_file_is_empty_without_making_it(tmp_path: Path) -> None:
    done = run_orderfsm("db", "current", "--db", f"sqlite:///{tmp_path / 'typo.db'}")

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("database: empty; package: ")
    assert not (tmp_path / "typo.db").exists()


def test_db_upgrade_still_creates_the_file_and_then_readers_open_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"

    created = run_orderfsm("db", "upgrade", "--db", url)
    listed = run_orderfsm("orders", "--db", url, "--json")
    shown = run_orderfsm("show", "SHOP-0001", "--db", url)

    assert created.returncode == 0, created.stderr
    assert (tmp_path / "new.db").is_file()
    assert (listed.returncode, listed.stderr) == (0, "")
    assert shown.returncode == 1
    assert shown.stderr.startswith("error: no order with ")
