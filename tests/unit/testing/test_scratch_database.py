"""The harness's default database: one per thread, empty at the start of every run."""

from __future__ import annotations

import threading

from sqlalchemy import Engine as DbEngine

from orderfsm.service import Engine
from orderfsm.testing import DrStep, HistoryPlan, build_history, feed
from orderfsm.testing.scratch import is_scratch, scratch_database


def test_each_run_starts_with_no_order_event_or_effect_of_the_run_before() -> None:
    history = build_history(HistoryPlan(steps=(DrStep.FULFIL,)), 1, prefix="scratch-")
    earlier = Engine(scratch_database())
    feed(earlier, [delivery.line for delivery in history.in_dr_order()])
    assert earlier.show(history.upstream_id).effects  # the run left rows behind

    later = Engine(scratch_database())

    assert later.db is earlier.db  # the same database, its statements compiled once
    assert list(later.orders()) == []
    feed(later, [delivery.line for delivery in history.in_dr_order()])  # the same ids again
    assert later.show(history.upstream_id).state == "fulfilled"


def test_each_thread_has_its_own_scratch_database() -> None:
    mine = scratch_database()
    theirs: list[DbEngine] = []

    worker = threading.Thread(target=lambda: theirs.append(scratch_database()))
    worker.start()
    worker.join()

    assert theirs[0] is not mine
    assert is_scratch(mine) and not is_scratch(theirs[0])
