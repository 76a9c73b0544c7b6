"""The one vocabulary of what became of a signal, and where it came from.

History rows, answers to callers, journal and inbox tallies, diagrams and
tests all speak these words; the values are the strings stored in the
database, so renaming a member is a migration.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """What became of one signal for one order (a history row's outcome)."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"
    TERMINAL = "terminal"
    REFUSED = "refused"
    PARKED = "parked"


class SignalOrigin(StrEnum):
    """Which entry point produced a signal (and so a history row)."""

    SUBMIT = "submit"
    CREATE_ORDER_RESPONSE = "create_order_response"
    WEBHOOK = "webhook"
    PLATFORM = "platform"
    """The platform's own report (what it shipped or cancelled)."""


NOT_RELEVANT = "not_relevant"
"""The tally key for DR events the lifecycle does not act on (no :class:`Outcome`)."""

UNCOUNTED_OUTCOMES = frozenset({Outcome.DUPLICATE, Outcome.PARKED})
"""Outcomes of a first-step history row that are not an event's one application."""


def is_first_application(step: int, outcome: Outcome | str) -> bool:
    """True for the history row that decides an event: its first step, really judged.

    A duplicate delivery and a parking are recorded too, but they decide
    nothing; the database's partial unique index (one such row per event id)
    and every deduplication use this same rule.
    """
    return step == 0 and outcome not in UNCOUNTED_OUTCOMES
