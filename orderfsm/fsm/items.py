"""Per-item quantities: what was ordered, and what the platform shipped or cancelled.

DR's order lists its items and quantities; the platform reports what it
shipped (``quantity``) or cancelled (``cancel_quantity``) per item id. The
guard :data:`~orderfsm.fsm.guards.WITHIN_OPEN_QUANTITIES` and the engine read
these plain values; nothing here parses or performs I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ItemReport:
    """One item of a platform report: how many shipped and how many cancelled."""

    item_id: str
    quantity: int = 0
    cancel_quantity: int = 0


@dataclass(frozen=True, slots=True)
class Tracking:
    """The carrier's tracking of a shipment (every part optional)."""

    company: str | None = None
    number: str | None = None
    url: str | None = None


NO_TRACKING = Tracking()
"""A shipment without tracking (and every cancellation)."""


@dataclass(frozen=True, slots=True)
class FulfilmentReport:
    """What the platform shipped or cancelled in one go, with its tracking."""

    items: tuple[ItemReport, ...]
    tracking: Tracking = NO_TRACKING
    cancel_all: bool = False
    """Cancel whatever is open of every item (``items`` is then filled in under the lock)."""


@dataclass(frozen=True, slots=True)
class ItemTally:
    """What the platform reported so far for one item (stored with the order)."""

    item_id: str
    fulfilled: int = 0
    cancelled: int = 0


@dataclass(frozen=True, slots=True)
class ItemLedger:
    """One item as it stands: ordered (DR's snapshot), fulfilled and cancelled (reports)."""

    item_id: str
    ordered: int
    fulfilled: int = 0
    cancelled: int = 0

    @property
    def open(self) -> int:
        """How many are neither fulfilled nor cancelled."""
        return self.ordered - self.fulfilled - self.cancelled


def ledger(
    ordered: Iterable[tuple[str, int]], tallies: Iterable[ItemTally]
) -> tuple[ItemLedger, ...]:
    """Every ordered item with what was reported for it, in DR's order of items."""
    reported = {tally.item_id: tally for tally in tallies}
    lines = []
    for item_id, quantity in ordered:
        tally = reported.get(item_id, ItemTally(item_id))
        lines.append(ItemLedger(item_id, quantity, tally.fulfilled, tally.cancelled))
    return tuple(lines)


def tallied(tallies: tuple[ItemTally, ...], report: FulfilmentReport) -> tuple[ItemTally, ...]:
    """``tallies`` with ``report`` added (items first reported appended in report order)."""
    merged = {tally.item_id: tally for tally in tallies}
    for line in report.items:
        was = merged.get(line.item_id, ItemTally(line.item_id))
        merged[line.item_id] = ItemTally(
            line.item_id, was.fulfilled + line.quantity, was.cancelled + line.cancel_quantity
        )
    return tuple(merged.values())


def cancel_everything_open(lines: Iterable[ItemLedger]) -> tuple[ItemReport, ...]:
    """A report cancelling whatever is still open of each item (a full cancellation)."""
    return tuple(ItemReport(line.item_id, 0, line.open) for line in lines if line.open > 0)
