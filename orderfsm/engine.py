"""The engine: apply one DR signal to one stored order in one unit of work.

Each call reads the order (locked on PostgreSQL), lets the lifecycle machine
decide, and writes the new state, the history rows and the effect intents in
the same transaction, or nothing at all. Transient conflicts (another worker
got there first) are retried; the second attempt then sees a duplicate.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache, partial
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import Engine as DbEngine

from orderfsm.adapters.digitalriver import map_create_order_response, signal_from_body
from orderfsm.adapters.digitalriver.effect_payloads import effect_payload
from orderfsm.commands import Command, CreateOrderResponse, Submit
from orderfsm.errors import OrderConflict, OrderFsmError, OrderNotFound
from orderfsm.fsm.effects import EffectIntent
from orderfsm.fsm.machine import Applied, LifecycleMachine, Refusal, Refused
from orderfsm.fsm.signals import ChargeFact, NotRelevant, Signal, SignalSource
from orderfsm.fsm.states import OrderState, Trigger
from orderfsm.persistence import (
    Contention,
    Identity,
    OrderRecord,
    OrderView,
    Outcome,
    Repository,
    SignalOrigin,
    UnitOfWork,
    ensure_current,
    open_engine,
    transact,
    upgrade,
)
from orderfsm.persistence.batch import run_batch
from orderfsm.persistence.database import to_db_time, utcnow
from orderfsm.persistence.parking import parked_event_types
from orderfsm.persistence.schema import is_empty
from orderfsm.persistence.write_behind import WriteBehind

T = TypeVar("T")

_OUTCOME_OF_REFUSAL = {
    Refusal.TERMINAL: Outcome.TERMINAL,
    Refusal.STALE: Outcome.STALE,
    Refusal.NO_SUCH_EDGE: Outcome.REFUSED,
    Refusal.GUARD_FAILED: Outcome.REFUSED,
    Refusal.NO_PATH: Outcome.REFUSED,
}
_DISPUTE_TRIGGERS = frozenset({Trigger.OPEN_DISPUTE, Trigger.RESOLVE_DISPUTE})
_DR_ORDER_ID, _CHECKOUT_ID, _UPSTREAM_ID = "dr_order_id", "checkout_id", "upstream_id"


@cache
def shared_machine() -> LifecycleMachine:
    """The process's one lifecycle machine, built on first use."""
    return LifecycleMachine()


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """How the engine behaves; small and frozen, passed to :meth:`Engine.open`."""

    adopt_dr_orders: bool = False
    """Create an order when DR announces one it made itself (low-code checkouts)."""
    max_attempts: int = 10
    """How often a unit of work is tried when another worker conflicts with it."""


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What became of one signal."""

    outcome: Outcome | None
    """``None`` when the event is not relevant to the lifecycle (see ``not_relevant``)."""
    upstream_id: str | None
    state: OrderState | None
    reason: str | None = None
    steps: tuple[Applied, ...] = ()
    effect_keys: tuple[str, ...] = ()
    redirect_url: str | None = None
    not_relevant: NotRelevant | None = None


class Engine:
    """Applies DR signals to stored orders; one per process, shared by threads."""

    def __init__(
        self,
        db: DbEngine,
        *,
        config: EngineConfig = EngineConfig(),
        machine: LifecycleMachine | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.machine = machine or shared_machine()

    @classmethod
    def open(
        cls, url: str, *, config: EngineConfig = EngineConfig(), create_if_empty: bool = False
    ) -> Engine:
        """Open the database at ``url``; refuse one whose schema is behind.

        ``create_if_empty`` brings a brand-new, empty database to the current
        schema; a database that has tables but is behind is never touched.
        """
        db = open_engine(url)
        try:
            if create_if_empty and is_empty(db):
                upgrade(db)
            ensure_current(db)
        except BaseException:
            db.dispose()
            raise
        return cls(db, config=config)

    def close(self) -> None:
        """Release the database connections."""
        self.db.dispose()

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- entry points ---------------------------------------------------------

    def submit(self, upstream_id: str, checkout_id: str) -> ApplyResult:
        """Record that the platform sent ``POST /orders`` for this checkout (idempotent)."""
        return self._transact(self._submit_work(upstream_id, checkout_id))

    def _submit_work(
        self, upstream_id: str, checkout_id: str
    ) -> Callable[[Repository], ApplyResult]:
        def work(repo: Repository) -> ApplyResult:
            now = utcnow()
            # Two lookups, two statements: on PostgreSQL (READ COMMITTED) a
            # concurrent submit of this very order may commit between them,
            # so the checkout's order is judged by its upstream id too.
            existing = repo.find_order(upstream_id=upstream_id) or repo.find_order(
                checkout_id=checkout_id
            )
            if existing is not None:
                if existing.upstream_id != upstream_id:
                    raise OrderConflict(
                        f"checkout {checkout_id!r} already belongs to upstream id "
                        f"{existing.upstream_id!r}"
                    )
                if existing.checkout_id != checkout_id:
                    raise OrderConflict(
                        f"upstream id {upstream_id!r} is bound to checkout "
                        f"{existing.checkout_id!r}, not {checkout_id!r}"
                    )
                return ApplyResult(
                    Outcome.DUPLICATE, upstream_id, existing.state, reason="already submitted"
                )
            order = repo.insert_order(
                upstream_id=upstream_id,
                checkout_id=checkout_id,
                state=self.machine.initial,
                now=now,
            )
            repo.add_history(
                [
                    _history(
                        order,
                        "submit",
                        None,
                        order.state,
                        SignalOrigin.SUBMIT,
                        Outcome.APPLIED,
                        now=now,
                    )
                ]
            )
            self._attach_parked(repo, order, now, frozenset())
            return ApplyResult(Outcome.APPLIED, upstream_id, order.state)

        return work

    def record_create_order_response(
        self, upstream_id: str, status: int, body: Mapping[str, Any]
    ) -> ApplyResult:
        """Apply what ``POST /orders`` answered (201, 409, 404 or 400)."""
        signal = map_create_order_response(status, body, upstream_id=upstream_id, checkout_id=None)
        return _with_redirect(signal, self.apply_signal(signal))

    def apply_event(self, body: bytes | str | Mapping[str, Any]) -> ApplyResult:
        """Apply one DR webhook event, given as received."""
        read = _read_event(body)
        if isinstance(read, ApplyResult):
            return read
        signal, raw = read
        return self.apply_signal(signal, raw_body=raw)

    def apply_many(self, commands: Sequence[Command]) -> list[ApplyResult | OrderFsmError]:
        """Apply ``commands`` in order, as many as possible in one transaction.

        The answers, and what is stored, are those of applying each command
        on its own (:meth:`submit`, :meth:`record_create_order_response`,
        :meth:`apply_event`): each unit still sees what the previous ones
        wrote, and on any conflict the batch is redone one command at a time
        (:func:`~orderfsm.persistence.batch.run_batch`). A command that fails
        gives its :class:`~orderfsm.errors.OrderFsmError` as its answer
        instead of raising; the others still apply. Commit granularity is
        the batch: keep batches to a few hundred commands.
        """
        prepared = [self._prepare(command) for command in commands]
        steps = [p for p in prepared if isinstance(p, _Step)]
        answers = iter(
            run_batch(
                self.db,
                [step.work for step in steps],
                single=self._transact,
                prefetch=lambda repo: _prefetch(repo, steps),
            )
        )
        results: list[ApplyResult | OrderFsmError] = []
        for item in prepared:
            if isinstance(item, _Step):
                answer = next(answers)
                results.append(answer if isinstance(answer, OrderFsmError) else item.finish(answer))
            else:
                results.append(item)
        return results

    def _prepare(self, command: Command) -> _Step | ApplyResult | OrderFsmError:
        """Read a command outside any transaction: its unit of work, or its answer already."""
        try:
            if isinstance(command, Submit):
                return _Step(
                    self._submit_work(command.upstream_id, command.checkout_id),
                    ids=(None, command.checkout_id, command.upstream_id),
                )
            if isinstance(command, CreateOrderResponse):
                signal = map_create_order_response(
                    command.status, command.body, upstream_id=command.upstream_id, checkout_id=None
                )
                return _Step(
                    partial(self._apply, signal=signal, raw_body=None),
                    ids=_signal_ids(signal),
                    finish=partial(_with_redirect, signal),
                )
            read = _read_event(command.raw if command.data is None else command.data, command.raw)
        except OrderFsmError as exc:
            return exc
        if isinstance(read, ApplyResult):
            return read
        signal, raw = read
        return _Step(
            partial(self._apply, signal=signal, raw_body=raw),
            ids=_signal_ids(signal),
            event_id=signal.event_id,
        )

    def apply_signal(self, signal: Signal, *, raw_body: str | None = None) -> ApplyResult:
        """Apply a signal the adapter produced; ``raw_body`` lets an unknown order's event wait."""
        return self._transact(lambda repo: self._apply(repo, signal, raw_body))

    def show(self, ref: str) -> OrderView:
        """An order (by upstream id, DR order id or checkout id) with history and effects."""
        with UnitOfWork(self.db) as uow:
            order = uow.repo.find_by_ref(ref)
            if order is None:
                raise OrderNotFound(ref, parked_event_types(uow.repo.connection, ref))
            return uow.repo.view(order)

    def orders(self) -> Iterator[OrderView]:
        """Every order with history and effects, oldest first."""
        with UnitOfWork(self.db) as uow:
            for order in list(uow.repo.all_orders()):
                yield uow.repo.view(order)

    # -- the unit of work -----------------------------------------------------

    def _transact(self, work: Callable[[Repository], T]) -> T:
        return transact(self.db, work, max_attempts=self.config.max_attempts)

    def _apply(self, repo: Repository, signal: Signal, raw_body: str | None) -> ApplyResult:
        now = utcnow()
        # Lock the order before the duplicate check: a concurrent delivery of
        # the same event then waits here and sees the first one's history.
        order = repo.find_order(
            dr_order_id=signal.dr_order_id,
            checkout_id=signal.checkout_id,
            upstream_id=signal.upstream_id,
        )
        if signal.event_id is not None and repo.event_seen(signal.event_id):
            if order is not None:
                repo.add_history(
                    [
                        _signal_history(
                            order, signal, Outcome.DUPLICATE, "event already processed", now=now
                        )
                    ]
                )
            return ApplyResult(
                Outcome.DUPLICATE,
                order.upstream_id if order else None,
                order.state if order else None,
                reason="event already processed",
            )
        findable: frozenset[Identity] = frozenset()
        if order is None:
            if signal.source is SignalSource.CREATE_ORDER_RESPONSE:
                raise OrderNotFound(signal.upstream_id or "?")
            if not (self.config.adopt_dr_orders and signal.trigger is Trigger.LINK_DR_ORDER):
                return self._park(repo, signal, raw_body, now)
            order = self._adopt(repo, signal, now)
        else:
            findable = _identities(order)
        result = self._apply_to(repo, order, signal, now)
        self._attach_parked(repo, order, now, findable)
        return result

    def _apply_to(
        self, repo: Repository, order: OrderRecord, signal: Signal, now: datetime
    ) -> ApplyResult:
        dr_time = to_db_time(signal.dr_time)
        if (
            signal.trigger in _DISPUTE_TRIGGERS
            and dr_time is not None
            and order.dispute_changed_at is not None
            and dr_time < order.dispute_changed_at
        ):
            outcome: tuple[Applied, ...] | Refused = Refused(
                signal.trigger, order.state, Refusal.STALE, "a later dispute change was applied"
            )
        else:
            outcome = self.machine.advance(order, signal.trigger, signal.facts)
        if isinstance(outcome, Refused):
            kind = _OUTCOME_OF_REFUSAL[outcome.refusal]
            repo.add_history([_signal_history(order, signal, kind, outcome.reason, now=now)])
            return ApplyResult(kind, order.upstream_id, order.state, reason=outcome.reason)
        _absorb_facts(order, signal, dr_time)
        repo.save_order(order, now)
        repo.add_history(
            [
                _history(
                    order,
                    step.trigger.value,
                    step.source,
                    step.dest,
                    _origin(signal),
                    Outcome.APPLIED,
                    now=now,
                    step=index,
                    signal=signal,
                )
                for index, step in enumerate(outcome)
            ]
        )
        effects = [
            self._effect_row(order, signal, intent, now)
            for step in outcome
            for intent in step.effects
        ]
        repo.enqueue_effects(effects)
        return ApplyResult(
            Outcome.APPLIED,
            order.upstream_id,
            order.state,
            steps=outcome,
            effect_keys=tuple(e["idempotency_key"] for e in effects),
        )

    def _effect_row(
        self, order: OrderRecord, signal: Signal, intent: EffectIntent, now: datetime
    ) -> dict[str, Any]:
        if intent.entered is not None:
            # A state is entered once per order, so this key is the same
            # whichever delivery (or worker) gets there: exactly once.
            key = f"{order.upstream_id}:{intent.entered.value}:{intent.name.value}"
        else:
            key = (
                f"{order.upstream_id}:{intent.trigger.value}:{signal.event_id}:{intent.name.value}"
            )
        snapshot = signal.snapshot if signal.facts.dr_state is not None else order.snapshot
        return {
            "order_id": order.id,
            "effect": intent.name.value,
            "idempotency_key": key,
            "payload": effect_payload(
                intent.name,
                snapshot,
                upstream_id=order.upstream_id,
                dr_order_id=order.dr_order_id,
                customer_message=signal.customer_message,
            ),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }

    def _park(
        self, repo: Repository, signal: Signal, raw_body: str | None, now: datetime
    ) -> ApplyResult:
        if raw_body is None or signal.event_id is None:
            raise OrderNotFound(signal.dr_order_id or signal.checkout_id or "?")
        # The order may have been committed since it was looked up, or be
        # being committed right now (PostgreSQL, READ COMMITTED). Hold the
        # locks every transaction that makes an order findable also holds,
        # and look again: then either it sees this parked event, or this
        # transaction sees the order. Never wait while holding them, so the
        # two can never deadlock; back off and run the whole unit again.
        identities = _signal_identities(signal)
        if not repo.lock_identities(identities, wait=False):
            raise Contention(f"event {signal.event_id}: its order is being linked")
        if (
            repo.find_order(
                dr_order_id=signal.dr_order_id,
                checkout_id=signal.checkout_id,
                upstream_id=signal.upstream_id,
                lock=False,
            )
            is not None
        ):
            raise Contention(f"event {signal.event_id}: its order appeared")
        repo.park(
            {
                "event_id": signal.event_id,
                "event_type": signal.event_type,
                "dr_order_id": signal.dr_order_id,
                "checkout_id": signal.checkout_id,
                "upstream_id": signal.upstream_id,
                "dr_time": to_db_time(signal.dr_time),
                "body": raw_body,
                "parked_at": now,
            }
        )
        return ApplyResult(Outcome.PARKED, None, None, reason="order not known yet")

    def _adopt(self, repo: Repository, signal: Signal, now: datetime) -> OrderRecord:
        upstream_id = signal.upstream_id or f"dr:{signal.dr_order_id}"
        order = repo.insert_order(
            upstream_id=upstream_id,
            checkout_id=signal.checkout_id,
            state=self.machine.initial,
            now=now,
        )
        order.dr_order_id = signal.dr_order_id
        repo.add_history(
            [
                _history(
                    order,
                    "adopt",
                    None,
                    order.state,
                    SignalOrigin.WEBHOOK,
                    Outcome.APPLIED,
                    now=now,
                    reason="order created by DR (low-code checkout)",
                )
            ]
        )
        return order

    def _attach_parked(
        self,
        repo: Repository,
        order: OrderRecord,
        now: datetime,
        findable: frozenset[Identity],
    ) -> None:
        """Apply the events parked for ``order`` under the ids it gained in this transaction.

        ``findable`` are the ids other transactions could already find the
        order by; no event was parked under those (see :meth:`_park`).
        """
        while True:
            fresh = _identities(order) - findable
            if not fresh:
                return
            repo.lock_identities(fresh, wait=True)
            findable |= fresh
            ids = dict(fresh)
            parked = repo.take_parked(
                dr_order_id=ids.get(_DR_ORDER_ID),
                checkout_id=ids.get(_CHECKOUT_ID),
                upstream_id=ids.get(_UPSTREAM_ID),
            )
            for row in parked:
                signal = signal_from_body(row["body"])
                if isinstance(signal, NotRelevant):  # pragma: no cover - never parked
                    continue
                repo.add_history(
                    [
                        _signal_history(
                            order,
                            signal,
                            Outcome.PARKED,
                            "order was not known when the event arrived",
                            now=row["parked_at"],
                        )
                    ]
                )
                self._apply_to(repo, order, signal, now)


def _identities(order: OrderRecord) -> frozenset[Identity]:
    """Every way other transactions can find ``order``."""
    return _id_set(order.dr_order_id, order.checkout_id, order.upstream_id)


def _signal_identities(signal: Signal) -> frozenset[Identity]:
    """Every way ``signal`` could find its order."""
    return _id_set(signal.dr_order_id, signal.checkout_id, signal.upstream_id)


def _id_set(
    dr_order_id: str | None, checkout_id: str | None, upstream_id: str | None
) -> frozenset[Identity]:
    pairs = ((_DR_ORDER_ID, dr_order_id), (_CHECKOUT_ID, checkout_id), (_UPSTREAM_ID, upstream_id))
    return frozenset((column, value) for column, value in pairs if value is not None)


@dataclass(frozen=True, slots=True)
class _Step:
    """One command of a batch: its unit of work, the ids it will look up, its last touch."""

    work: Callable[[Repository], ApplyResult]
    ids: tuple[str | None, str | None, str | None]
    """(DR order id, checkout id, upstream id) the unit will look its order up by."""
    event_id: str | None = None
    finish: Callable[[ApplyResult], ApplyResult] = lambda result: result


def _signal_ids(signal: Signal) -> tuple[str | None, str | None, str | None]:
    return (signal.dr_order_id, signal.checkout_id, signal.upstream_id)


def _prefetch(repo: WriteBehind, steps: Sequence[_Step]) -> None:
    """Read the batch's orders and seen events in a few statements."""
    repo.prefetch(
        event_ids=[s.event_id for s in steps if s.event_id is not None],
        dr_order_ids=[s.ids[0] for s in steps if s.ids[0] is not None],
        checkout_ids=[s.ids[1] for s in steps if s.ids[1] is not None],
        upstream_ids=[s.ids[2] for s in steps if s.ids[2] is not None],
    )


def _read_event(
    body: bytes | str | Mapping[str, Any], raw_body: bytes | str | None = None
) -> tuple[Signal, str] | ApplyResult:
    """A webhook body as its signal and raw text, or the answer for an irrelevant event.

    ``raw_body`` is the body as received when ``body`` is its decoded JSON.
    """
    mapped = signal_from_body(body)
    if isinstance(mapped, NotRelevant):
        return ApplyResult(None, None, None, reason=mapped.reason, not_relevant=mapped)
    received = body if raw_body is None else raw_body
    text = received.decode() if isinstance(received, bytes) else received
    raw = text if isinstance(text, str) else json.dumps(text)
    return mapped, raw


def _with_redirect(signal: Signal, result: ApplyResult) -> ApplyResult:
    """``result`` with the redirect URL a ``POST /orders`` answer asks the shopper to follow."""
    if signal.facts.next_action != "redirect":
        return result
    return replace(result, redirect_url=_redirect_url(signal.snapshot))


def _absorb_facts(order: OrderRecord, signal: Signal, dr_time: datetime | None) -> None:
    """Take DR's news into the order, unless an earlier-dated signal would roll it back."""
    if signal.dr_order_id and order.dr_order_id is None:
        order.dr_order_id = signal.dr_order_id
    if signal.checkout_id and order.checkout_id is None:
        order.checkout_id = signal.checkout_id
    if signal.trigger in _DISPUTE_TRIGGERS:
        order.dispute_changed_at = dr_time or order.dispute_changed_at
    newer = dr_time is None or order.dr_time is None or dr_time >= order.dr_time
    if not newer:
        return
    if signal.facts.dr_state is not None:
        order.snapshot = dict(signal.snapshot)
        order.fraud_state = signal.facts.fraud_state
        order.charges = [{"id": c.id, "state": c.state} for c in signal.facts.charges]
    if signal.charge is not None:
        _merge_charge(order, signal.charge)
    if dr_time is not None:
        order.dr_time = dr_time


def _merge_charge(order: OrderRecord, charge: ChargeFact) -> None:
    charges = [c for c in order.charges if c.get("id") != charge.id]
    charges.append({"id": charge.id, "state": charge.state})
    order.charges = charges


def _origin(signal: Signal) -> SignalOrigin:
    if signal.source is SignalSource.CREATE_ORDER_RESPONSE:
        return SignalOrigin.CREATE_ORDER_RESPONSE
    return SignalOrigin.WEBHOOK


def _history(
    order: OrderRecord,
    trigger: str,
    from_state: OrderState | None,
    to_state: OrderState | None,
    origin: SignalOrigin,
    outcome: Outcome,
    *,
    now: datetime,
    step: int = 0,
    reason: str | None = None,
    signal: Signal | None = None,
) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "event_id": signal.event_id if signal else None,
        "step": step,
        "trigger": trigger,
        "from_state": from_state.value if from_state else None,
        "to_state": to_state.value if to_state else None,
        "origin": origin.value,
        "event_type": signal.event_type if signal else None,
        "dr_time": to_db_time(signal.dr_time) if signal else None,
        "recorded_at": now,
        "outcome": outcome.value,
        "reason": reason,
    }


def _signal_history(
    order: OrderRecord, signal: Signal, outcome: Outcome, reason: str, *, now: datetime
) -> dict[str, Any]:
    return _history(
        order,
        signal.trigger.value,
        order.state,
        order.state,
        _origin(signal),
        outcome,
        now=now,
        reason=reason,
        signal=signal,
    )


def _redirect_url(snapshot: Mapping[str, Any]) -> str | None:
    session = (snapshot.get("payment") or {}).get("session") or {}
    data = (session.get("nextAction") or {}).get("data") or {}
    url = data.get("redirectUrl")
    return url if isinstance(url, str) else None
