"""The benchmarks still run: each one at tiny sizes, checked for sane figures.

Speed is never asserted here (figures at these sizes mean nothing); what is
checked is that every benchmark runs to the end, measures positive numbers,
and that the correctness counters of the persisted runs hold.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from bench import dispatch, persisted, postgres, property_harness, receiver, replay, startup
from bench.__main__ import main
from bench.harness import Report, render
from orderfsm.cli.app import COMMANDS as CLI_COMMANDS


def assert_sane(report: Report) -> None:
    assert report.figures
    for figure in report.figures:
        assert figure.samples, figure.name
        assert all(math.isfinite(s) and s > 0 for s in figure.samples), figure
    assert report.title in render(report)


def test_the_dispatch_benchmark_fires_all_three_ways_to_the_same_state() -> None:
    sizes = dispatch.DispatchSizes(orders=50, repeat=2, small=20, large=200, add_model_orders=20)

    report = dispatch.dispatch_report(sizes)

    assert_sane(report)
    assert report.figure("facade / raw transitions").target == 1.25


def test_the_memory_benchmark_measures_bytes_per_order_and_per_added_model() -> None:
    sizes = dispatch.DispatchSizes(orders=50, repeat=1, small=20, large=200, add_model_orders=20)

    report = dispatch.memory_report(sizes)

    assert_sane(report)
    per_order = report.figure("InMemoryOrder, 200 live").median
    per_model = report.figure("transitions add_model, 20 models").median
    assert per_order < per_model


def test_the_persisted_benchmark_stores_the_same_rows_as_its_raw_baseline() -> None:
    report = persisted.persisted_report(persisted.PersistedSizes(orders=4, repeat=1))

    assert_sane(report)
    assert any("engine (" in note for note in report.notes)


def test_the_replay_benchmark_applies_journals_and_checks_their_final_states() -> None:
    report = replay.replay_report(replay.ReplaySizes(orders=(3, 6), repeat=1))

    assert_sane(report)
    assert report.figure("per-event cost 60 / 30 lines").samples


def test_the_postgres_benchmark_applies_every_event_once_with_two_workers(
    postgres_url: str,
) -> None:
    sizes = postgres.PostgresSizes(orders=4, workers=(1, 2), repeat=1)

    report = postgres.postgres_report(sizes, url=postgres_url)

    assert_sane(report)
    assert any("applied once each (max 1 per id)" in note for note in report.notes)


def test_the_bench_command_runs_a_quick_dispatch_and_reports_the_machine(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--quick", "--only", "dispatch", "receiver"]) == 0

    out = capsys.readouterr().out
    assert "machine:" in out
    assert "1. dispatch in memory" in out
    assert "5. webhook receiver" in out


def test_the_receiver_benchmark_measures_every_level_or_says_it_is_pending() -> None:
    sizes = receiver.ReceiverSizes(levels=(2, 5), requests=10, repeat=1)

    report = receiver.receiver_report(sizes)

    if receiver.available():
        assert_sane(report)
        assert report.figure("5 senders, p99 to 202").samples
    else:
        assert any("pending" in note for note in report.notes)


def test_the_harness_benchmark_runs_scenarios_and_both_bug_hunts_find_their_bug() -> None:
    sizes = property_harness.HarnessSizes(examples=3, steps=5, repeat=1)

    report = property_harness.harness_report(sizes)

    assert_sane(report)
    assert report.figure("harness scenarios/s (CPU)").samples
    # Both known bugs are found (a hunt that finds nothing adds no timing figure).
    assert report.figure("docs/testing.md attempt-key bug: found and shrunk, CPU").samples
    assert report.figure("double mail: found and shrunk, CPU").samples


def test_the_startup_benchmark_times_the_cli_beside_its_baselines() -> None:
    report = startup.startup_report(startup.StartupSizes(repeat=1, commands=("show",)))

    assert_sane(report)
    assert report.figure("orderfsm show --help / import click").samples
    assert report.figure("orderfsm --version").target == startup.TARGET_GROUP_SECONDS
    assert report.notes == [f"orderfsm --help imported none of {startup.HEAVY}"]


def run_module(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m MODULE ARGS`` from the repository's root, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_python_m_bench_property_harness_runs_at_the_sizes_it_is_given() -> None:
    done = run_module("bench.property_harness", "--examples", "2", "--steps", "3", "--repeat", "1")

    assert done.returncode == 0, done.stderr
    assert "6. property harness: OrderLifecycleMachine on SQLite (2 scenarios of <= 3 steps)" in (
        done.stdout
    )
    assert "harness scenarios/s (CPU)" in done.stdout
    assert "double mail: found with 1 of 1 seeds" in done.stdout


def test_python_m_bench_property_harness_refuses_a_size_below_one_in_one_line() -> None:
    done = run_module("bench.property_harness", "--repeat", "0")

    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith("error: --repeat must be at least 1")
    assert done.stdout == ""


def test_the_startup_benchmark_times_every_command_of_the_cli_by_default() -> None:
    assert startup.StartupSizes().commands == tuple(CLI_COMMANDS)
    assert len(startup.StartupSizes().commands) == len(CLI_COMMANDS) >= 20


def test_python_m_bench_startup_times_the_commands_it_is_given() -> None:
    done = run_module("bench.startup", "--repeat", "1", "--commands", "reconcile", "parked")

    assert done.returncode == 0, done.stderr
    assert "orderfsm reconcile --help / import click" in done.stdout
    assert "orderfsm parked --help / import click" in done.stdout
    assert "orderfsm show --help" not in done.stdout
