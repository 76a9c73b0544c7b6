"""One order as the console shows it: the engine's view, operator actions, payloads, DR's codes.

The timeline merges the order's history (every signal, DR's time and ours)
with what operators did by hand, in the order it was recorded. DR's machine
codes (a charge's ``failureCode``) are collected apart, labelled for the
operator: DR marks them not for customers, and the page shows beside them
what the customer is told instead
(:mod:`orderfsm.adapters.digitalriver.customer_text`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from orderfsm.adapters.digitalriver.customer_text import failed_charge_text
from orderfsm.adapters.digitalriver.models_order import OrderCharge
from orderfsm.console import queries
from orderfsm.console.config import DatabaseHolder
from orderfsm.diagrams import OrderPath, order_path
from orderfsm.persistence import HistoryEntry, OrderView
from orderfsm.persistence.database import READ_ONLY_OPTION, to_db_time
from orderfsm.persistence.operator_actions import OperatorAction, actions_of


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """One line of the timeline: a signal's history row, or an operator's action."""

    number: int | None
    """The step number (as ``orderfsm show`` and the path number them); ``None``: an action."""
    recorded_at: datetime
    entry: HistoryEntry | None = None
    action: OperatorAction | None = None
    payload: str | None = None
    """The raw body DR sent, pretty-printed, when the inbox still has it."""


@dataclass(frozen=True, slots=True)
class InternalCode:
    """A code DR gave for operators only, and what the customer reads instead."""

    charge_id: str
    code: str
    customer_text: str


@dataclass(frozen=True, slots=True)
class OrderPage:
    """Everything the order page shows."""

    view: OrderView
    timeline: tuple[TimelineRow, ...]
    path: OrderPath
    codes: tuple[InternalCode, ...]


def order_page(holder: DatabaseHolder, ref: str) -> OrderPage:
    """The page of the order ``ref`` (any of its ids); OrderNotFound when none has it."""
    view = holder.engine.show(ref)
    order_id = queries.order_id_of(holder.db, view.upstream_id)
    with holder.db.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
        actions = actions_of(connection, order_id) if order_id is not None else []
    bodies = queries.payloads(holder.db, [e.event_id for e in view.history if e.event_id])
    rows = [
        TimelineRow(
            number,
            _aware(entry.recorded_at),
            entry=entry,
            payload=_pretty(bodies.get(entry.event_id or "")),
        )
        for number, entry in enumerate(view.history, start=1)
    ]
    rows += [TimelineRow(None, _aware(action.recorded_at), action=action) for action in actions]
    rows.sort(key=lambda row: (row.recorded_at, row.number is None))
    return OrderPage(
        view=view,
        timeline=tuple(rows),
        path=order_path(view.history, view.state, title=f"order {view.upstream_id}"),
        codes=internal_codes(_snapshot_charges(holder, view) + _payload_charges(bodies.values())),
    )


def internal_codes(charges: list[OrderCharge]) -> tuple[InternalCode, ...]:
    """Each charge's DR failure code (once), with what the customer is told about them.

    The stored ``charges`` column keeps id and state only: codes are in DR's
    snapshot and in the events received (a refused event's too).
    """
    if not charges:
        return ()
    told = failed_charge_text(charges)
    seen: dict[tuple[str, str], InternalCode] = {}
    for charge in charges:
        if charge.failure_code:
            key = (charge.id, charge.failure_code)
            seen.setdefault(key, InternalCode(charge.id, charge.failure_code, told))
    return tuple(seen.values())


def _snapshot_charges(holder: DatabaseHolder, view: OrderView) -> list[OrderCharge]:
    return _charges_of(queries.snapshot_of(holder.db, view.upstream_id) or {})


def _payload_charges(bodies: Iterable[str]) -> list[OrderCharge]:
    charges = []
    for body in bodies:
        try:
            event = json.loads(body)
        except ValueError:
            continue
        data = event.get("data") if isinstance(event, dict) else None
        found = data.get("object") if isinstance(data, dict) else None
        if isinstance(found, dict):
            charges += _charges_of(found)
    return charges


def _charges_of(found: dict[str, Any]) -> list[OrderCharge]:
    """An order's ``payment.charges``, or the object itself when it is a charge."""
    payment = found.get("payment")
    listed = payment.get("charges") if isinstance(payment, dict) else None
    if listed is None and "failureCode" in found:
        listed = [found]
    charges = []
    for raw in listed if isinstance(listed, list) else []:
        try:
            charges.append(OrderCharge.model_validate(raw))
        except ValidationError:
            continue  # a charge DR shaped oddly is still in the raw payloads
    return charges


def _pretty(body: str | None) -> str | None:
    if body is None:
        return None
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def _aware(moment: datetime) -> datetime:
    return to_db_time(moment) or moment
