"""The worker's loop of steps: rests when idle, survives a failing step, stops when told."""

from __future__ import annotations

import threading

import pytest

from orderfsm.cli.worker import run_steps


class Steps:
    """Steps that do scripted amounts of work and stop the loop after ``rounds`` rounds."""

    def __init__(self, work: list[int | Exception], stop: threading.Event) -> None:
        self.work = work
        self.stop = stop
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        if self.calls == len(self.work):
            self.stop.set()
        done = self.work[self.calls - 1]
        if isinstance(done, Exception):
            raise done
        return done


def test_once_runs_every_step_a_single_time() -> None:
    stop = threading.Event()
    first, second = Steps([3, 3], stop), Steps([0, 0], stop)

    run_steps([first, second], once=True, interval=0.001, stop=stop)

    assert (first.calls, second.calls) == (1, 1)


def test_the_loop_repeats_until_stopped() -> None:
    stop = threading.Event()
    step = Steps([2, 0, 1, 0], stop)

    run_steps([step], once=False, interval=0.001, stop=stop)

    assert step.calls == 4


def test_a_failing_step_is_reported_and_the_loop_goes_on() -> None:
    stop = threading.Event()
    step = Steps([1, ConnectionError("database restarting"), 1], stop)
    errors: list[Exception] = []

    run_steps([step], once=False, interval=0.001, stop=stop, on_error=errors.append)

    assert step.calls == 3
    assert [str(e) for e in errors] == ["database restarting"]


def test_with_once_a_failing_step_ends_the_run() -> None:
    stop = threading.Event()
    step = Steps([ConnectionError("database down")], threading.Event())

    with pytest.raises(ConnectionError, match="database down"):
        run_steps([step], once=True, interval=0.001, stop=stop, on_error=lambda e: None)
