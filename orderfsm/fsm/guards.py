"""Guards: named checks of DR's facts that an edge needs to pass.

A guard answers with a :class:`Verdict` carrying its reason, so a refusal in
history says *why* (``charge ch_2 is pending``), not just that a check failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from orderfsm.fsm.signals import AUTHORIZED_CHARGE_STATES, ENDED_CHARGE_STATES, Facts


@dataclass(frozen=True, slots=True)
class Verdict:
    """A guard's answer: passed or not, and why."""

    passed: bool
    reason: str = ""


PASS = Verdict(True)


@dataclass(frozen=True, slots=True)
class Guard:
    """A named check an edge must pass.

    ``excludes`` names guards that can never pass together with this one; the
    static checks accept two edges on the same trigger from the same state only
    when their guards exclude each other this way.
    """

    name: str
    check: Callable[[Facts], Verdict]
    excludes: frozenset[str] = field(default_factory=frozenset)

    def __call__(self, facts: Facts) -> Verdict:
        return self.check(facts)


def _all_charges_authorized(facts: Facts) -> Verdict:
    for charge in facts.charges:
        if charge.state not in AUTHORIZED_CHARGE_STATES:
            return Verdict(False, f"charge {charge.id} is {charge.state}, not authorized")
    return PASS


def _fraud_not_blocked(facts: Facts) -> Verdict:
    if facts.fraud_state == "blocked":
        return Verdict(False, "fraud review blocked the order")
    return PASS


def _all_charges_ended(facts: Facts) -> Verdict:
    for charge in facts.charges:
        if charge.state not in ENDED_CHARGE_STATES:
            return Verdict(False, f"charge {charge.id} is {charge.state}, not cancelled")
    return PASS


def _within_open_quantities(facts: Facts) -> Verdict:
    report = facts.report
    if report is None or not report.items:
        return Verdict(
            False, "nothing is open" if report and report.cancel_all else "nothing reported"
        )
    lines = {line.item_id: line for line in facts.ledger}
    asked: dict[str, int] = {}
    for item in report.items:
        line = lines.get(item.item_id)
        if line is None:
            return Verdict(False, f"item {item.item_id} is not in the order")
        asked[item.item_id] = asked.get(item.item_id, 0) + item.quantity + item.cancel_quantity
        if asked[item.item_id] > line.open:
            return Verdict(
                False,
                f"item {item.item_id}: {asked[item.item_id]} reported but {line.open} "
                f"of {line.ordered} open",
            )
    return PASS


ALL_CHARGES_AUTHORIZED = Guard("all charges authorized", _all_charges_authorized)
FRAUD_NOT_BLOCKED = Guard("fraud not blocked", _fraud_not_blocked)
ALL_CHARGES_CANCELLED = Guard("all charges cancelled", _all_charges_ended)
WITHIN_OPEN_QUANTITIES = Guard("within open quantities", _within_open_quantities)
