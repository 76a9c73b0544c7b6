"""A failure between the state update and the commit leaves nothing behind.

Faults are injected through SQLAlchemy's statement events (a public seam on
the database engine, not orderfsm's internals): right after the order's
``UPDATE``, the history ``INSERT`` or the outbox ``INSERT``, either an
exception is raised in the caller, or (in a subprocess) the process dies on
the spot, with no chance to roll back. Both on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from orderfsm.fsm.outcomes import Outcome
from orderfsm.persistence.records import OrderView
from orderfsm.samples.builders import Item, OrderSketch
from orderfsm.service import Engine
from tests.support.engines import engine_on_each_database  # noqa: F401  (the ``engine`` fixture)
from tests.support.events import accepted_event

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CRASH_EXIT = 17
WRITES = {
    "after the order update": "UPDATE orders",
    "after the history insert": "INSERT INTO order_history",
    "after the outbox insert": "INSERT INTO outbox",
}

CRASHING_WORKER = f"""
import json, os, sys
from sqlalchemy import event
from orderfsm.service import Engine

url, statement, body = sys.argv[1], sys.argv[2], sys.argv[3]

def crash(conn, cursor, sql, params, context, executemany):
    if sql.lstrip().startswith(statement):
        os._exit({CRASH_EXIT})  # no rollback, no cleanup: the process is simply gone

with Engine.open(url) as engine:
    event.listen(engine.db, "after_cursor_execute", crash)
    engine.apply_event(json.loads(body))
sys.exit("the fault never fired")
"""


class InjectedFault(Exception):
    """Raised by the test right after a chosen write."""


def sketch() -> OrderSketch:
    return OrderSketch("DR1", "CO1", "UP1", [Item("it-1", "sku-1", 1, 10.0, True)])


def fail_after(engine: Engine, statement: str) -> Any:
    def fail(*args: Any) -> None:
        if args[2].lstrip().startswith(statement):
            raise InjectedFault(statement)

    event.listen(engine.db, "after_cursor_execute", fail)
    return fail


def assert_untouched(view: OrderView) -> None:
    assert view.state == "submitted"
    assert view.order_id is None and view.fraud_state is None and view.charges == []
    assert [(h.trigger, h.outcome) for h in view.history] == [("submit", "applied")]
    assert view.effects == []


@pytest.mark.parametrize("statement", WRITES.values(), ids=WRITES.keys())
def test_a_failure_before_commit_leaves_no_state_history_or_outbox_row(
    engine: Engine, statement: str
) -> None:
    o = sketch()
    engine.submit(o.upstream_id, o.checkout_id)
    body = accepted_event(o, T0)
    hook = fail_after(engine, statement)
    with pytest.raises(InjectedFault):
        engine.apply_event(body)
    event.remove(engine.db, "after_cursor_execute", hook)

    assert_untouched(engine.show("UP1"))
    assert engine.apply_event(body).outcome is Outcome.APPLIED
    after = engine.show("UP1")
    assert after.state == "accepted"
    assert "send_order_confirmation" in {e.type for e in after.effects}


def test_a_failure_while_attaching_parked_events_keeps_them_parked(engine: Engine) -> None:
    o = sketch()
    body = accepted_event(o, T0)
    assert engine.apply_event(body).outcome is Outcome.PARKED
    hook = fail_after(engine, "INSERT INTO outbox")
    with pytest.raises(InjectedFault):
        engine.submit(o.upstream_id, o.checkout_id)
    event.remove(engine.db, "after_cursor_execute", hook)

    assert list(engine.orders()) == []
    assert engine.apply_event(body).outcome is Outcome.DUPLICATE  # still parked
    engine.submit(o.upstream_id, o.checkout_id)
    assert engine.show("UP1").state == "accepted"


@pytest.mark.parametrize("statement", WRITES.values(), ids=WRITES.keys())
def test_a_process_dying_before_commit_leaves_no_state_history_or_outbox_row(
    db_url: str, tmp_path: Path, statement: str
) -> None:
    o = sketch()
    body = accepted_event(o, T0)
    with Engine.open(db_url, create_if_empty=True) as engine:
        engine.submit(o.upstream_id, o.checkout_id)
    script = tmp_path / "crashing_worker.py"
    script.write_text(CRASHING_WORKER)

    died = subprocess.run(
        [sys.executable, str(script), db_url, statement, json.dumps(body)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert died.returncode == CRASH_EXIT, died.stderr

    with Engine.open(db_url) as engine:
        assert_untouched(engine.show("UP1"))
        assert engine.apply_event(body).outcome is Outcome.APPLIED
        assert engine.show("UP1").state == "accepted"
