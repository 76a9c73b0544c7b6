"""``run_worker`` as a host calls it: once, in a loop until stopped, through a database outage."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from orderfsm import Engine
from orderfsm.dispatch import DeliveryResult, Effect, HandlerRegistry
from orderfsm.errors import ConfigurationError, DatabaseUnavailable, SchemaOutOfDate
from orderfsm.fsm.effects import EffectName
from orderfsm.service.worker import WorkerConfig, run_worker
from orderfsm.service.worker_reports import (
    EffectHandled,
    EffectsPassed,
    EntryHandled,
    InboxPassed,
    Outage,
    Recovered,
    Started,
    Stopped,
    WorkerReport,
    describe,
)
from tests.e2e.worker_support import shop_with_waiting_webhooks

WAIT_S = 60.0
QUICK = WorkerConfig(
    interval=timedelta(seconds=0.02),
    outage_delay=timedelta(seconds=0.01),
    max_outage_delay=timedelta(seconds=0.05),
    grace=timedelta(seconds=1),
)


class Recorder:
    """Every effect a handler got, and every report the worker gave."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.reports: list[WorkerReport] = []
        self.registry = HandlerRegistry({name: self.handle for name in EffectName})

    def handle(self, effect: Effect[Any]) -> None:
        self.keys.append(effect.key)

    def of(self, kind: type[Any]) -> list[Any]:
        return [r for r in list(self.reports) if isinstance(r, kind)]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def running(
    url: str, recorder: Recorder, config: WorkerConfig
) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker,
        args=(url, recorder.registry, config),
        kwargs={"stop": stop, "on_report": recorder.reports.append},
    )
    thread.start()
    return thread, stop


def wait_for(condition: Any) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


@pytest.fixture
def stopped_at_end() -> Iterator[list[tuple[threading.Thread, threading.Event]]]:
    started: list[tuple[threading.Thread, threading.Event]] = []
    yield started
    for thread, stop in started:
        stop.set()
        thread.join(WAIT_S)


def test_once_applies_the_inbox_then_delivers_and_reports_each_item(
    db_url: str, recorder: Recorder
) -> None:
    url = db_url
    refs = shop_with_waiting_webhooks(url, 2)

    run_worker(url, recorder.registry, WorkerConfig(once=True), on_report=recorder.reports.append)

    kinds = [type(r) for r in recorder.reports]
    assert kinds[0] is Started and kinds[-1] is Stopped
    assert kinds.index(InboxPassed) < kinds.index(EffectsPassed)
    entries = [r.entry for r in recorder.of(EntryHandled)]
    assert [(e.upstream_id, e.outcome) for e in entries] == [(r, "applied") for r in refs]
    deliveries = [r.delivery for r in recorder.of(EffectHandled)]
    assert sorted(d.key for d in deliveries) == sorted(recorder.keys)
    assert {d.result for d in deliveries} == {DeliveryResult.DONE}
    assert {d.upstream_id for d in deliveries} == set(refs)
    [passed] = recorder.of(EffectsPassed)
    assert passed.report.done == len(recorder.keys) > 0


def test_the_loop_takes_work_as_it_arrives_until_stopped(
    db_url: str, recorder: Recorder, stopped_at_end: list[Any]
) -> None:
    url = db_url
    shop_with_waiting_webhooks(url, 0)
    thread, stop = running(url, recorder, QUICK)
    stopped_at_end.append((thread, stop))
    wait_for(lambda: recorder.of(Started))

    for n in (1, 2, 3):
        shop_with_waiting_webhooks(url, 1, first=n)
        wait_for(lambda n=n: any(k.startswith(f"SHOP-{n}:") for k in recorder.keys))
    stop.set()
    thread.join(WAIT_S)

    assert not thread.is_alive()
    assert len(set(recorder.keys)) == len(recorder.keys) == 3 * 2
    assert isinstance(recorder.reports[-1], Stopped)


def test_a_database_that_cannot_be_opened_is_waited_for_and_the_worker_recovers(
    tmp_path: Path, recorder: Recorder, stopped_at_end: list[Any]
) -> None:
    # The file's folder does not exist yet: every connection fails, as with a
    # lost mount or a folder made unreadable, until the database appears.
    url = f"sqlite:///{tmp_path / 'not-yet' / 'shop.db'}"
    thread, stop = running(url, recorder, QUICK)
    stopped_at_end.append((thread, stop))
    wait_for(lambda: len(recorder.of(Outage)) >= 4)
    assert recorder.of(Started) == [] and recorder.keys == []

    (tmp_path / "not-yet").mkdir()
    refs = shop_with_waiting_webhooks(url, 1)
    wait_for(lambda: len(recorder.keys) == 2)

    outages = recorder.of(Outage)
    assert [o.failures for o in outages[:4]] == [1, 2, 3, 4]
    assert all(o.retry_in <= QUICK.max_outage_delay for o in outages)
    assert "unable to open database file" in outages[0].error
    assert recorder.of(Recovered) and recorder.of(Started)
    assert {k.split(":")[0] for k in recorder.keys} == set(refs)
    line = describe(outages[0])
    assert line.endswith(outages[0].error) and line[:4].isdigit() and "Z worker: inbox" in line


def test_with_once_an_unreachable_database_ends_the_run(tmp_path: Path, recorder: Recorder) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'shop.db'}"

    with pytest.raises(DatabaseUnavailable, match="unable to open database file"):
        run_worker(
            url, recorder.registry, WorkerConfig(once=True), on_report=recorder.reports.append
        )


def test_a_database_behind_the_schema_is_refused_at_once(
    tmp_path: Path, recorder: Recorder
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"

    with pytest.raises(SchemaOutOfDate, match="orderfsm db upgrade"):
        run_worker(url, recorder.registry, QUICK, on_report=recorder.reports.append)


def test_a_host_keeps_its_engine_and_a_failing_report_callback_stops_nothing(
    tmp_path: Path, recorder: Recorder
) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    shop_with_waiting_webhooks(url, 1)

    def broken(report: WorkerReport) -> None:
        raise RuntimeError("the host's log is full")

    with Engine.open(url) as engine:
        run_worker(engine, recorder.registry, WorkerConfig(once=True), on_report=broken)
        assert engine.show("SHOP-1").state == "accepted"  # still open: the host's to close
    assert len(recorder.keys) == 2


@pytest.mark.parametrize(
    "wrong",
    [{"interval": timedelta(0)}, {"grace": timedelta(seconds=-1)}, {"outage_delay": timedelta(0)}],
)
def test_a_worker_config_that_cannot_work_is_refused(wrong: dict[str, timedelta]) -> None:
    with pytest.raises(ConfigurationError, match="WorkerConfig"):
        WorkerConfig(**wrong)  # type: ignore[arg-type]


def test_outage_waits_double_up_to_their_bound() -> None:
    config = WorkerConfig(outage_delay=timedelta(seconds=1), max_outage_delay=timedelta(seconds=5))

    assert [config.outage_wait(n).total_seconds() for n in range(1, 6)] == [1, 2, 4, 5, 5]


def test_one_lease_for_both_claims() -> None:
    config = WorkerConfig().with_lease(timedelta(seconds=7))

    assert config.dispatch.lease == config.inbox.lease == timedelta(seconds=7)
