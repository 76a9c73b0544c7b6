"""The engine: the facade a host (and the CLI, the receiver's worker, journals) calls.

It opens the database, reads each command (:mod:`~orderfsm.service.preparing`),
and has the :class:`~orderfsm.service.applying.Applier` apply it in a unit of
work of its own (:mod:`~orderfsm.service.retry`) or with many others in one
transaction (:mod:`~orderfsm.service.batch`). It owns no SQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, cast

from orderfsm.adapters.digitalriver.effect_payloads import ordered_quantities
from orderfsm.closing import Closing
from orderfsm.commands import Command, CreateOrderResponse, Submit
from orderfsm.errors import BatchInterrupted, OrderFsmError, OrderNotFound, StorageError
from orderfsm.fsm.items import NO_TRACKING, FulfilmentReport, ItemReport, Tracking, ledger
from orderfsm.fsm.machine import LifecycleMachine
from orderfsm.fsm.refs import OrderRefs
from orderfsm.fsm.signals import Signal
from orderfsm.persistence import OrderView, Transaction, ensure_current, open_engine, upgrade
from orderfsm.persistence.database import Database
from orderfsm.persistence.records import OrderRecord
from orderfsm.persistence.schema import is_empty, wait_for_a_creation
from orderfsm.service.applying import Applier, shared_machine
from orderfsm.service.batch import RunPositions, run_batch
from orderfsm.service.preparing import SignalUnit, Unit, prepare, webhook_event
from orderfsm.service.reporting import new_report_id, report_signal
from orderfsm.service.results import DEFAULT_CONFIG, Answer, ApplyResult, EngineConfig
from orderfsm.service.retry import run_alone

ORDERS_PAGE = 200
"""Orders read per (short, read-only) transaction by :meth:`Engine.orders`."""


class Engine(Closing):
    """Applies DR signals to stored orders; one per process, shared by threads."""

    def __init__(
        self,
        db: Database,
        *,
        config: EngineConfig = DEFAULT_CONFIG,
        machine: LifecycleMachine | None = None,
    ) -> None:
        self.db = db
        """The SQLAlchemy engine (a dispatcher or inbox worker opens on it too)."""
        self.config = config
        self.machine = machine or shared_machine()
        self._applier = Applier(self.machine, config)

    @classmethod
    def open(
        cls, url: str, *, config: EngineConfig = DEFAULT_CONFIG, create_if_empty: bool = False
    ) -> Engine:
        """Open the database at ``url``; refuse one whose schema is behind.

        ``create_if_empty`` brings a brand-new, empty database to the current
        schema; a database that has tables but is behind is never touched.
        """
        db = open_engine(url)
        try:
            if create_if_empty:
                if is_empty(db):
                    upgrade(db)
                wait_for_a_creation(db)
            ensure_current(db)
        except BaseException:
            db.dispose()
            raise
        return cls(db, config=config)

    def close(self) -> None:
        """Release the database connections."""
        self.db.dispose()

    # -- applying -------------------------------------------------------------

    def submit(self, upstream_id: str, checkout_id: str) -> ApplyResult:
        """Record that the platform sent ``POST /orders`` for this checkout (idempotent)."""
        return self.apply(Submit(upstream_id, checkout_id))

    def record_create_order_response(
        self, upstream_id: str, status: int, body: Mapping[str, Any]
    ) -> ApplyResult:
        """Apply what ``POST /orders`` answered (201, 409, 404 or 400)."""
        return self.apply(CreateOrderResponse(upstream_id, status, body))

    def apply_event(self, body: bytes | str | Mapping[str, Any]) -> ApplyResult:
        """Apply one DR webhook event, given as received."""
        return self.apply(webhook_event(body))

    def apply_signal(self, signal: Signal, *, raw_body: str | None = None) -> ApplyResult:
        """Apply a signal the adapter produced; ``raw_body`` lets an unknown order's event wait."""
        return _raised(self._run(SignalUnit(signal, raw_body)))

    def report_fulfilment(
        self,
        upstream_id: str,
        items: Sequence[ItemReport],
        *,
        tracking: Tracking = NO_TRACKING,
        report_id: str | None = None,
    ) -> ApplyResult:
        """Record what the platform shipped (``quantity``) or cancelled (``cancel_quantity``).

        The lifecycle judges it (allowed while DR's order takes fulfilments,
        never past what is open of an item: else ``refused`` with the reason)
        and, applied, enqueues ``report_fulfillment`` for ``POST /fulfillments``.
        The same ``report_id`` again is a duplicate. An unknown order raises
        :class:`~orderfsm.errors.OrderNotFound`.
        """
        report = FulfilmentReport(tuple(items), tracking)
        return self.apply_signal(report_signal(upstream_id, report, report_id or new_report_id()))

    def cancel_everything_open(
        self, upstream_id: str, *, report_id: str | None = None
    ) -> ApplyResult:
        """Cancel whatever is open of every item (a full cancellation before shipment)."""
        report = FulfilmentReport((), cancel_all=True)
        return self.apply_signal(report_signal(upstream_id, report, report_id or new_report_id()))

    def apply(self, command: Command) -> ApplyResult:
        """Apply one command in a unit of work of its own; raise the error that refuses it."""
        prepared = prepare(command)
        if isinstance(prepared, ApplyResult | OrderFsmError):
            return _raised(prepared)
        return _raised(self._run(prepared))

    def apply_many(
        self, commands: Sequence[Command], *, positions: RunPositions | None = None
    ) -> list[ApplyResult | OrderFsmError]:
        """Apply ``commands`` in order, as many as possible in one transaction.

        The answers, and what is stored, are those of applying each command
        on its own (:meth:`apply`): each unit still sees what the previous
        ones wrote, and on a collision the batch is redone one command at a
        time (:mod:`orderfsm.service.batch`). A command that fails gives its
        :class:`~orderfsm.errors.OrderFsmError` as its answer instead of
        raising; the others still apply. Commit granularity is the batch:
        keep batches to a few hundred commands.

        ``positions`` (a journal's: one position per command) makes every
        commit record how far the run got, and an outage or exhausted
        contention raise :class:`~orderfsm.errors.BatchInterrupted` with the
        answers of the commands reached (see :mod:`orderfsm.journal`).
        """
        prepared = [prepare(command) for command in commands]
        at = [i for i, p in enumerate(prepared) if not isinstance(p, ApplyResult | OrderFsmError)]
        units = [cast(Unit, prepared[i]) for i in at]
        unit_positions = (
            None
            if positions is None
            else RunPositions(positions.run_id, [positions.positions[i] for i in at])
        )
        try:
            answers = run_batch(
                self.db,
                self._applier,
                units,
                max_attempts=self.config.max_attempts,
                retry_for_s=self.config.retry_for_s,
                positions=unit_positions,
            )
        except BatchInterrupted as stopped:
            reached = at[len(stopped.answers)] if len(stopped.answers) < len(at) else len(prepared)
            raise BatchInterrupted(
                stopped.cause,
                tuple(_merged(prepared[:reached], cast(list[Answer], list(stopped.answers)))),
            ) from stopped.__cause__
        return _merged(prepared, answers)

    def _run(self, unit: Unit) -> Answer:
        return run_alone(
            self.db,
            self._applier,
            unit,
            max_attempts=self.config.max_attempts,
            retry_for_s=self.config.retry_for_s,
        )

    # -- reading --------------------------------------------------------------

    def show(self, ref: str) -> OrderView:
        """An order (by upstream id, DR order id or checkout id) with history and effects."""
        refs = OrderRefs.anything(ref)
        with Transaction(self.db, "show", read_only=True) as tx:
            order = tx.store.find_order(refs, lock=False)
            if order is None:
                raise OrderNotFound(ref, tx.store.parked_event_types(refs))
            view = _with_items(tx.store.view(order), order)
        if tx.collision is not None:
            raise StorageError("show", tx.collision.reason)
        return view

    def orders(self) -> Iterator[OrderView]:
        """Every order with history and effects, oldest first.

        Read a page at a time, each in a short read-only transaction: none
        is held while the caller handles what was yielded.
        """
        after = 0
        while True:
            with Transaction(self.db, "orders", read_only=True) as tx:
                page = tx.store.orders_after(after, ORDERS_PAGE)
                views = [_with_items(tx.store.view(order), order) for order in page]
            if tx.collision is not None:
                raise StorageError("orders", tx.collision.reason)
            yield from views
            if len(page) < ORDERS_PAGE:
                return
            after = page[-1].id


def _with_items(view: OrderView, order: OrderRecord) -> OrderView:
    lines = ledger(ordered_quantities(order.snapshot), order.tallies)
    return replace(view, items=lines)


def _raised(answer: Answer) -> ApplyResult:
    if isinstance(answer, OrderFsmError):
        raise answer
    return answer


def _merged(prepared: Sequence[Unit | Answer], applied: Sequence[Answer]) -> list[Answer]:
    """Each command's answer: its own when preparing answered it, else its unit's."""
    answers = iter(applied)
    return [p if isinstance(p, ApplyResult | OrderFsmError) else next(answers) for p in prepared]
