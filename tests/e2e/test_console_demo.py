"""`make demo` ends with the console command for its database, and that command serves it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import httpx

from tests.e2e.http_receiver import running_server
from tests.support.cli import ORDERFSM, run_orderfsm


def test_the_demo_prints_the_console_command_that_opens_its_database(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    done = run_orderfsm("demo", "--out", str(out), env={"COLUMNS": "80"}, timeout=300)
    assert done.returncode == 0, done.stderr
    found = re.search(r"^open the console: (orderfsm console --db \S+)$", done.stdout, re.M)
    assert found, done.stdout[-2000:]
    assert found.group(1) == f"orderfsm console --db sqlite:///{out / 'demo.db'}"
    assert "  then browse http://127.0.0.1:8300/" in done.stdout

    argv = shlex.split(found.group(1))
    command = [ORDERFSM, *argv[1:], "--port", "0"]
    with running_server(command) as console:
        orders = httpx.get(f"{console.base_url}/", timeout=30)
        order = httpx.get(f"{console.base_url}/orders/SHOP-0001", timeout=30)
    assert orders.status_code == 200 and "SHOP-0001" in orders.text
    assert order.status_code == 200 and "order.complete" in order.text
