"""`make demo` ends with the console command for its database, and that command serves it."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from pathlib import Path

import httpx
import pytest

from orderfsm.cli.demo_flow import runnable_script
from tests.e2e.http_receiver import running_server
from tests.e2e.worker_support import REPO
from tests.support.cli import ORDERFSM, run_orderfsm


def test_the_demo_prints_the_console_command_that_opens_its_database(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    # As after `make demo`: the venv's bin is not on PATH, the shell is in the repository.
    path = os.pathsep.join(
        d for d in os.environ.get("PATH", "").split(os.pathsep) if Path(d) != Path(ORDERFSM).parent
    )
    done = run_orderfsm(
        "demo", "--out", str(out), cwd=REPO, env={"COLUMNS": "80", "PATH": path}, timeout=300
    )
    assert done.returncode == 0, done.stderr
    script = Path(ORDERFSM)
    typed = str(script.relative_to(REPO)) if script.is_relative_to(REPO) else ORDERFSM
    found = re.search(r"^open the console: (\S+ console --db \S+)$", done.stdout, re.M)
    assert found, done.stdout[-2000:]
    assert found.group(1) == f"{typed} console --db sqlite:///{out / 'demo.db'}"
    assert "  then browse http://127.0.0.1:8300/" in done.stdout
    inspect = re.search(r"^inspect one: (\S+ show SHOP-0001 --db \S+)$", done.stdout, re.M)
    assert inspect, done.stdout[-2000:]

    # Both printed commands run as printed, from where the demo ran.
    shown = run_orderfsm(*shlex.split(inspect.group(1))[1:], cwd=REPO)
    assert shlex.split(inspect.group(1))[0] == typed
    assert shown.returncode == 0 and "SHOP-0001" in shown.stdout, shown.stderr
    # A healthy order: DR's late fulfillment.created (fetched by reconcile after
    # order.complete) is news it already has, stale, never a red "refused".
    story = json.loads(run_orderfsm(*shlex.split(inspect.group(1))[1:], "--json", cwd=REPO).stdout)
    outcomes = {(h.get("trigger"), h.get("outcome")) for h in story["history"]}
    assert not any(outcome == "refused" for _, outcome in outcomes), story["history"]
    argv = shlex.split(found.group(1))
    command = [str(REPO / argv[0]), *argv[1:], "--port", "0"]
    with running_server(command) as console:
        orders = httpx.get(f"{console.base_url}/", timeout=30)
        order = httpx.get(f"{console.base_url}/orders/SHOP-0001", timeout=30)
    assert orders.status_code == 200 and "SHOP-0001" in orders.text
    assert order.status_code == 200 and "order.complete" in order.text


def test_the_script_is_named_as_typed_on_path_and_by_its_path_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "bin" / "orderfsm"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    monkeypatch.chdir(tmp_path)
    assert runnable_script(str(script)) == "bin/orderfsm"
    monkeypatch.chdir(script.parent)
    assert runnable_script(str(script)) == "./orderfsm"
    monkeypatch.chdir(REPO)
    assert runnable_script(str(script)) == str(script)
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    assert runnable_script(str(script)) == "orderfsm"
    assert runnable_script(sys.executable) == "orderfsm"  # not the script: its plain name
