"""``orderfsm worker`` and ``orderfsm effects`` through the real console script."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import textwrap
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from orderfsm.adapters.handlers import read_jsonl
from orderfsm.cli import cli
from orderfsm.fsm.effects import EffectName
from orderfsm.journal import apply_journal
from orderfsm.samples.demo import demo_journal
from orderfsm.service import Engine
from tests.support.cli import ORDERFSM, run_orderfsm
from tests.support.processes import reap


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real console script, in its own process, on a wide terminal."""
    return run_orderfsm(*args, cwd=cwd, env={"COLUMNS": "200"})


def invoke(*args: str) -> Result:
    """The same command line, run in this process (faster; same click commands)."""
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"}, catch_exceptions=False)


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's orders applied once (33 effects waiting); each test works on a copy."""
    path = tmp_path_factory.mktemp("demo") / "template.db"
    with Engine.open(f"sqlite:///{path}", create_if_empty=True) as engine:
        lines = demo_journal()
        report = apply_journal(engine, (("demo", n, json.dumps(x)) for n, x in enumerate(lines)))
    assert report.ok
    return path


@pytest.fixture
def shop(demo_database: Path, tmp_path: Path) -> str:
    copy = tmp_path / "shop.db"
    with (
        closing(sqlite3.connect(demo_database)) as source,
        closing(sqlite3.connect(copy)) as target,
    ):
        source.backup(target)
    return f"sqlite:///{copy}"


def listed(url: str, *args: str) -> list[dict[str, object]]:
    done = invoke("effects", "--db", url, "--json", *args)
    assert done.exit_code == 0, done.output
    return [json.loads(line) for line in done.output.splitlines()]


def test_worker_once_delivers_every_effect_to_the_jsonl_sink(shop: str, tmp_path: Path) -> None:
    sink = tmp_path / "effects.jsonl"
    waiting = listed(shop, "--status", "pending")

    done = run("worker", "--db", shop, "--once", "--sink", f"jsonl:{sink}")

    assert done.returncode == 0, done.stderr
    assert "effects: 33 done, 0 retried, 0 dead" in done.stdout
    lines = read_jsonl(sink)
    assert sorted(line["key"] for line in lines) == sorted(str(e["key"]) for e in waiting)
    by_key = {line["key"]: line for line in lines}
    shipment = by_key["SHOP-0001:accepted:request_shipment"]
    assert shipment["name"] == "request_shipment"
    assert shipment["payload"]["items"][0]["skuId"] == "widget"
    assert listed(shop, "--status", "pending") == []
    assert len(listed(shop, "--status", "done")) == 33
    again = invoke("worker", "--db", shop, "--once", "--sink", f"jsonl:{sink}")
    assert "effects: 0 done" in again.output
    assert len(read_jsonl(sink)) == 33


def test_worker_reports_effects_nobody_handles_and_leaves_them_pending(shop: str) -> None:
    done = invoke("worker", "--db", shop, "--once")

    assert done.exit_code == 0, done.output
    assert "33 effect(s) wait with no handler" in done.output
    assert len(listed(shop, "--status", "pending")) == 33


def test_a_dead_effect_is_listed_requeued_and_then_delivered(shop: str, tmp_path: Path) -> None:
    (tmp_path / "strict_warehouse.py").write_text(
        textwrap.dedent(
            """
            from orderfsm.dispatch import HandlerRegistry, PermanentEffectError

            registry = HandlerRegistry()

            @registry.handler("request_shipment")
            def refuse(effect):
                raise PermanentEffectError(f"warehouse refused {effect.key}")
            """
        )
    )
    sink = tmp_path / "effects.jsonl"
    failed = run(  # the host's module is found in the current folder
        "worker",
        "--db",
        shop,
        "--once",
        "--handlers",
        "strict_warehouse:registry",
        "--sink",
        f"jsonl:{sink}",
        cwd=tmp_path,
    )
    assert "effects: 27 done, 0 retried, 6 dead" in failed.stdout, failed.stderr
    dead = listed(shop, "--status", "dead")
    key = "SHOP-0001:accepted:request_shipment"
    assert {str(e["key"]) for e in dead} >= {key}
    assert [e["lastError"] for e in dead if e["key"] == key] == [f"warehouse refused {key}"]
    table = invoke("effects", "--db", shop, "--status", "dead")
    assert key in table.output and "6 effect(s)" in table.output

    requeued = invoke("effects", "retry", key, "--db", shop)
    delivered = invoke("worker", "--db", shop, "--once", "--sink", f"jsonl:{sink}")

    assert requeued.exit_code == 0 and requeued.output.strip() == f"re-queued {key}"
    assert "effects: 1 done" in delivered.output
    assert [line["key"] for line in read_jsonl(sink)].count(key) == 1
    assert len(listed(shop, "--status", "dead")) == 5


def test_the_effects_table_shows_a_long_last_error_in_full_under_it(
    shop: str, tmp_path: Path
) -> None:
    reason = "warehouse refused: " + " ".join(f"line-{n}-out-of-stock" for n in range(12))
    (tmp_path / "wordy_warehouse.py").write_text(
        textwrap.dedent(
            f"""
            from orderfsm.dispatch import HandlerRegistry, PermanentEffectError

            registry = HandlerRegistry()

            @registry.handler("request_shipment")
            def refuse(effect):
                raise PermanentEffectError({reason!r})
            """
        )
    )
    run("worker", "--db", shop, "--once", "--handlers", "wordy_warehouse:registry", cwd=tmp_path)

    table = run("effects", "--db", shop, "--status", "dead")

    assert table.returncode == 0, table.stderr
    assert len(reason) > 80 and "6 effect(s)" in table.stdout
    assert table.stdout.count(reason) == 6
    assert "SHOP-0001:accepted:request_shipment:\n" + reason in table.stdout


def test_retrying_an_effect_that_is_not_dead_is_a_clear_error(shop: str) -> None:
    done = run("effects", "retry", "SHOP-0001:accepted:request_shipment", "--db", shop)

    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: no effect with key 'SHOP-0001:accepted:request_shipment' "
        "in status dead (it is pending)"
    )


def test_a_sink_of_an_unknown_kind_is_refused(shop: str) -> None:
    done = invoke("worker", "--db", shop, "--once", "--sink", "kafka:orders")

    assert done.exit_code == 2
    assert "'kafka:orders': expected jsonl:PATH" in done.output


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("json:dumps", "calling it with a HandlerRegistry raised TypeError"),
        ("no_such_shop:registry", "ModuleNotFoundError: No module named 'no_such_shop'"),
    ],
)
def test_a_handlers_target_that_fails_is_one_line_naming_it(
    shop: str, target: str, said: str
) -> None:
    done = run("worker", "--db", shop, "--once", "--handlers", target)

    assert done.returncode == 2 and "Traceback" not in done.stderr
    error = done.stderr.splitlines()[-1]
    assert error.startswith(f"Error: Invalid value for '--handlers': '{target}'") and said in error


STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
"""Every worker line starts with its ISO 8601 UTC time."""


def test_the_worker_loop_stops_cleanly_on_sigterm(shop: str, tmp_path: Path) -> None:
    sink = tmp_path / "effects.jsonl"
    worker = subprocess.Popen(
        [ORDERFSM, "worker", "--db", shop, "--sink", f"jsonl:{sink}", "--interval", "0.05"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        lines = [worker.stdout.readline()]
        while not re.search(r"effects: \d+ done", lines[-1]) and lines[-1]:
            lines.append(worker.stdout.readline())
        worker.send_signal(signal.SIGTERM)
        rest, err = worker.communicate(timeout=60)
    finally:
        reap(worker)

    assert worker.returncode == 0, err
    assert all(re.match(STAMP, line) for line in [*lines, *rest.splitlines()]), [*lines, rest]
    # The sink handles every name of the vocabulary.
    n = len(EffectName)
    assert re.match(STAMP + rf"worker: handlers for {n} of {n} effects; every ", lines[0])
    assert re.match(STAMP + r"effects: 33 done, 0 retried, 0 dead$", lines[-1].strip())
    # One line per effect, naming its key and its order.
    delivered = [line for line in lines if re.match(STAMP + r"effect \S+ order SHOP-\d+ ", line)]
    assert len(delivered) == 33 and all(line.rstrip().endswith(": done") for line in delivered)
    assert "worker: stopping" in rest and "worker: stopped" in rest
    assert len(read_jsonl(sink)) == 33
