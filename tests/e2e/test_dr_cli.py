"""``orderfsm sandbox`` and ``orderfsm submit`` as a user runs them: real processes, real HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from orderfsm.sandbox import SandboxConfig, parse_faults, sandbox_in_thread
from tests.support.cli import ORDERFSM
from tests.support.cli import run_orderfsm as run

TIMEOUT_S = 120
PRINTED_URL = re.compile(r"^DR sandbox on (http://127\.0\.0\.1:\d+) \(key (\S+)\)$")


@contextmanager
def sandbox_process(*args: str) -> Iterator[tuple[str, str]]:
    """``orderfsm sandbox --port 0 ARGS``: the URL and key it printed, until the block ends."""
    process = subprocess.Popen(
        [ORDERFSM, "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        found = PRINTED_URL.match(first)
        assert found, f"unexpected first line: {first!r}"
        yield found.group(1), found.group(2)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=TIMEOUT_S)


def test_submit_against_the_sandbox_command_prints_the_order_as_json(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'shop.db'}"
    with sandbox_process() as (url, key):
        env = {"ORDERFSM_DR_API_URL": url, "ORDERFSM_DR_API_KEY": key}
        done = run("submit", "SHOP-1", "chk-1", "--db", db, "--json", env=env)
        again = run("submit", "SHOP-1", "chk-1", "--db", db, env=env)
        listed = httpx.get(
            f"{url}/orders",
            params={"checkoutId": "chk-1"},
            headers={"Authorization": f"Bearer {key}"},
        ).json()

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "upstreamId": "SHOP-1",
        "orderId": listed["data"][0]["id"],
        "state": "accepted",
    }
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == (
        f"SHOP-1: already past submitted, nothing sent; "
        f"DR order {listed['data'][0]['id']}, state accepted"
    )


def test_submit_during_a_dr_outage_exits_1_with_one_line_and_the_order_stays_submitted(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'shop.db'}"
    with sandbox_in_thread(SandboxConfig(faults=parse_faults("outage=300"))) as sandbox:
        env = {"ORDERFSM_DR_API_URL": sandbox.url, "ORDERFSM_DR_API_KEY": sandbox.key}
        done = run("submit", "SHOP-1", "chk-1", "--db", db, "--json", env=env)
        held = dict(sandbox.state.orders)
    shown = run("show", "SHOP-1", "--db", db, "--json", env={})

    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: POST /orders: no answer for checkout 'chk-1'")
    assert "stays submitted" in lines[0] and "503" in lines[0]
    assert held == {}
    assert json.loads(shown.stdout)["state"] == "submitted"


def test_the_key_is_never_printed_even_when_dr_refuses_it(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'shop.db'}"
    secret = "sk_test_a_secret_that_must_not_leak"
    with sandbox_in_thread() as sandbox:
        done = run(
            "submit",
            "SHOP-1",
            "chk-1",
            "--db",
            db,
            "--dr-url",
            sandbox.url,
            "--dr-key",
            secret,
            env={},
        )

    assert done.returncode == 1
    assert done.stderr.startswith("error: POST /orders: Digital River answered 401")
    assert secret not in done.stdout + done.stderr


def test_submit_without_a_key_and_a_sandbox_with_bad_faults_say_what_is_wrong() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERFSM_DR_")}
    no_key = subprocess.run(
        [ORDERFSM, "submit", "SHOP-1", "chk-1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT_S,
    )
    bad = run("sandbox", "--port", "0", "--faults", "lose=1,bogus=2", env={})

    assert no_key.returncode == 2 and "ORDERFSM_DR_API_KEY" in no_key.stderr
    assert bad.returncode == 2 and "'bogus=2'" in bad.stderr
