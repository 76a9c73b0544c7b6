"""Each table's values type names exactly its columns, so a rename on one side fails here.

``persistence.rows`` is the one place that spells column names; mypy checks
the records against these ``TypedDict``s, and this test checks the
``TypedDict``s against the tables (and so the migrations' schema).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Table

from orderfsm.persistence import rows
from orderfsm.persistence.tables import HISTORY, ORDERS, OUTBOX, PARKED

DEFAULTED = {"id"}  # the surrogate key the database assigns


@pytest.mark.parametrize(
    ("values", "table", "left_to_defaults"),
    [
        (
            rows.OrderValues,
            ORDERS,
            {"fraud_state", "dispute_changed_at", "dr_time", "snapshot", "item_tallies"},
        ),
        (rows.HistoryValues, HISTORY, set()),
        (rows.OutboxValues, OUTBOX, {"lease_until", "last_error"}),
        (rows.ParkedValues, PARKED, set()),
    ],
    ids=["orders", "order_history", "outbox", "parked_signals"],
)
def test_values_name_the_columns_of_their_table(
    values: Any, table: Table, left_to_defaults: set[str]
) -> None:
    columns = {column.name for column in table.columns}
    assert set(values.__annotations__) == columns - DEFAULTED - left_to_defaults


def test_an_order_save_writes_every_column_a_signal_can_change() -> None:
    columns = {column.name for column in ORDERS.columns}
    written_once = {"id", "upstream_id", "created_at"}
    assert set(rows.SAVED_COLUMNS) == columns - written_once
    assert set(rows.OrderUpdate.__annotations__) == {
        "order_id",
        "read_version",
        *(f"new_{name}" for name in rows.SAVED_COLUMNS),
    }
