"""The pytest plugin: found through its entry point, cheap to load, its fixtures work.

Each session below is a fresh pytest process in a temporary folder, as a
backend's test run would be, with warnings turned into errors.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pytest

import orderfsm.testing.plugin as plugin

BACKEND_TESTS = """
import json

import pytest

from orderfsm import EffectName
from orderfsm.journal import JournalLineError
from orderfsm.testing import DrStep, HistoryPlan, ItemKind, OrderShape, build_history

HISTORY = build_history(
    HistoryPlan(OrderShape(items=(ItemKind.PHYSICAL,), expanded=True), steps=(DrStep.FULFIL,))
)
LINES = [delivery.line for delivery in HISTORY.in_dr_order()]


def test_feed_applies_lines_to_the_engine(orderfsm_engine, orderfsm_feed):
    results = orderfsm_feed(LINES)

    assert [r.outcome.value for r in results] == ["applied", "applied", "stale", "applied"]
    assert orderfsm_engine.show(HISTORY.upstream_id).state == "fulfilled"


def test_feed_reads_a_journal_file(orderfsm_engine, orderfsm_feed, tmp_path):
    journal = tmp_path / "orders.jsonl"
    journal.write_text("".join(json.dumps(line) + "\\n" for line in LINES))

    orderfsm_feed(journal)

    assert orderfsm_engine.show(HISTORY.upstream_id).state == "fulfilled"


def test_feed_fails_on_the_first_bad_line(orderfsm_feed):
    with pytest.raises(JournalLineError, match="line 2: kind: unknown value"):
        orderfsm_feed([LINES[0], {"kind": "refund"}])


def test_dispatch_hands_effects_to_handlers_and_records_them(
    orderfsm_feed, orderfsm_dispatch, orderfsm_recorder
):
    orderfsm_feed(LINES)
    shipped = []

    # The 201 answer, delivered first, does not say the item is physical: the
    # classifier decides (without one, the shipment would go dead).
    recorder = orderfsm_dispatch(
        {EffectName.REQUEST_SHIPMENT: lambda e: shipped.append(e.key)},
        classifier=lambda item: True,
    )

    assert recorder is orderfsm_recorder
    assert shipped == [f"{HISTORY.upstream_id}:accepted:request_shipment"]
    assert sorted(recorder.names(HISTORY.upstream_id)) == [
        EffectName.REQUEST_SHIPMENT,
        EffectName.SEND_ORDER_CONFIRMATION,
    ]


def test_each_test_gets_a_fresh_database(orderfsm_engine):
    assert list(orderfsm_engine.orders()) == []
"""


def test_a_fresh_pytest_session_loads_the_plugin_through_its_entry_point(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest_subprocess("--trace-config", "--collect-only", "-q")

    assert "orderfsm.testing.plugin" in result.stdout.str()


def test_the_fixtures_work_in_a_fresh_pytest_session(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(test_backend=BACKEND_TESTS)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=5)


def test_loading_the_plugin_imports_no_engine_database_or_hypothesis() -> None:
    heavy = ["sqlalchemy", "hypothesis", "pydantic", "orderfsm.service", "alembic"]
    probe = (
        "import json, sys\n"
        "import orderfsm.testing.plugin\n"
        f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))\n"
    )

    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )

    assert json.loads(done.stdout) == []


def test_every_fixture_the_plugin_adds_is_named_orderfsm_something() -> None:
    fixtures = [
        name
        for name, value in inspect.getmembers(plugin)
        if hasattr(value, "_fixture_function_marker")
        or type(value).__name__ == "FixtureFunctionDefinition"
    ]

    assert sorted(fixtures) == [
        "orderfsm_dispatch",
        "orderfsm_engine",
        "orderfsm_feed",
        "orderfsm_recorder",
    ]
