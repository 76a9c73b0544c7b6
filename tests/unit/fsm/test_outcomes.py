"""The first-application rule is written once: the schema's index uses the same text."""

from __future__ import annotations

from pathlib import Path

from orderfsm.persistence.tables import FIRST_APPLICATION_SQL

MIGRATION = (
    Path(__file__).parents[3] / "orderfsm/persistence/migrations/versions/0001_initial_schema.py"
)


def test_the_migrated_unique_index_is_written_with_the_rule_of_fsm_outcomes() -> None:
    assert FIRST_APPLICATION_SQL == "step = 0 AND outcome NOT IN ('duplicate', 'parked')"
    assert FIRST_APPLICATION_SQL in MIGRATION.read_text()
