"""A stateful test base that attacks an engine and its effect handlers with DR's deliveries.

Subclass :class:`OrderLifecycleMachine`, point it at your handlers (and, if
you need, your engine configuration), and hand its ``TestCase`` to pytest::

    class ShippingMachine(OrderLifecycleMachine):
        def handlers(self):
            self.warehouse = FakeWarehouse()
            return {EffectName.REQUEST_SHIPMENT: ship_request_handler(self.warehouse)}

        def classifier(self):
            return lambda item: item.sku_id.startswith("hw-")

    TestShipping = ShippingMachine.TestCase

Each run starts orders with DR-consistent histories (drawn from the model),
delivers their submits, ``POST /orders`` answers and webhooks in any order
with duplicates, interleaves orders, runs the dispatcher, and delivers
handled effects again (as a dispatcher does after a crash between a handler's
success and its ``done`` mark). After every step it checks the promises in
:mod:`orderfsm.testing.invariants`; at teardown it delivers the rest,
dispatches until nothing is due, and checks every order converged to DR's
final state with each effect delivered.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from orderfsm.dispatch import (
    Classifier,
    DispatchConfig,
    Dispatcher,
    DispatchReport,
    Handler,
    HandlerRegistry,
)
from orderfsm.fsm.effects import EffectName
from orderfsm.fsm.states import OrderState
from orderfsm.persistence.database import utcnow
from orderfsm.persistence.records import OrderView
from orderfsm.service import Engine, EngineConfig
from orderfsm.testing.defaults import KNOWN_ENGINE_GAPS, harness_settings
from orderfsm.testing.history import Delivery, build_history
from orderfsm.testing.invariants import (
    EffectLike,
    assert_moves_forward,
    assert_terminal_absorbs,
    snapshot,
)
from orderfsm.testing.journals import deliver
from orderfsm.testing.model import DrStep, HistoryPlan
from orderfsm.testing.recorder import EffectRecorder
from orderfsm.testing.runs import (
    OrderRun,
    assert_run_converged,
    assert_run_promises,
    enqueued_of,
    events_of,
)
from orderfsm.testing.scratch import is_scratch, scratch_database
from orderfsm.testing.strategies import history_plans

_RUNS = itertools.count(1)
_SETTINGS_APPLIED = "_hypothesis_internal_settings_applied"
"""The attribute hypothesis's ``@settings`` sets on a machine class it decorated."""

_PICK = st.integers(0, 15)
_PLAN = st.runner().flatmap(lambda machine: machine.plan_strategy())


class OrderLifecycleMachine(RuleBasedStateMachine):
    """Delivers DR-consistent histories to an engine and its handlers; checks every promise.

    Override :meth:`handlers` (your handlers by effect name; the others only
    record), :meth:`classifier` (for items DR did not say are physical), and
    :meth:`sent` (what your fakes of the outside world received, when they
    keep their own log). :meth:`make_engine` / :meth:`close_engine` choose the
    database (default: SQLite, emptied before each run).
    """

    engine_config: ClassVar[EngineConfig] = EngineConfig()
    """Given to the engine :meth:`make_engine` opens."""
    dispatch_config: ClassVar[DispatchConfig] = DispatchConfig(max_attempts=4)
    """Given to the dispatcher; each dispatch step moves its clock past ``max_delay``."""
    max_orders: ClassVar[int] = 3
    """Orders one run interleaves."""
    history_steps: ClassVar[Collection[DrStep]] = tuple(
        step for step in DrStep if step not in KNOWN_ENGINE_GAPS
    )
    """The DR steps histories may take (by default, all the engine handles)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # hypothesis marks a machine class its @settings decorated, and refuses a
        # second decorator; subclasses inherit the mark, so a subclass of a
        # decorated machine could not be decorated. Each subclass is a test of
        # its own: it starts unmarked, with the settings of the machine it
        # extends (the harness's defaults for a direct subclass).
        setattr(cls, _SETTINGS_APPLIED, False)
        parent = next(base for base in cls.__mro__[1:] if issubclass(base, OrderLifecycleMachine))
        direct = parent is OrderLifecycleMachine
        cls.TestCase.settings = harness_settings() if direct else parent.TestCase.settings

    def __init__(self) -> None:
        super().__init__()
        self.run = next(_RUNS)
        self.recorder = EffectRecorder()
        """Every effect a handler accepted (see :meth:`sent`)."""
        self.handled: frozenset[EffectName] = frozenset()
        """The effect names :meth:`handlers` gave a handler for (judged on :meth:`sent`)."""
        self.orders: list[OrderRun] = []
        self._late = timedelta(0)
        self._plans: st.SearchStrategy[HistoryPlan] | None = None
        self.engine = self.make_engine()
        self.registry = HandlerRegistry(classifier=self.classifier())
        handlers = self.handlers()
        self.handled = frozenset(handlers)
        for name, handler in self.recorder.around(handlers).items():
            self.registry.register(name, handler)
        self.dispatcher = Dispatcher(
            self.engine.db, self.registry, self.dispatch_config, clock=self._now
        )

    # -- what a backend overrides --------------------------------------------

    def handlers(self) -> Mapping[EffectName, Handler]:
        """The backend's handlers under test, by effect name (default: none)."""
        return {}

    def classifier(self) -> Classifier | None:
        """Says whether an item DR left unflagged ships; ``None``: such effects go dead."""
        return None

    def sent(self) -> Sequence[EffectLike]:
        """What the outside world received, in the effect vocabulary.

        The default is what a receiver deduplicating by key saw of the effects
        your handlers accepted. Override it when your fakes log what they were
        asked to do, so the checks see repeats your handlers let through, and
        effects they returned from without doing: every effect of a name in
        :meth:`handlers` that the outbox marks done must be here (by key). The
        other effects are judged on the recorder, whose handler received them.
        """
        return self.recorder.sent

    def plans(self) -> st.SearchStrategy[HistoryPlan]:
        """Where each order's DR history comes from."""
        return history_plans(steps=self.history_steps)

    def plan_strategy(self) -> st.SearchStrategy[HistoryPlan]:
        """:meth:`plans`, asked once per run (each new strategy is validated again)."""
        if self._plans is None:
            self._plans = self.plans()
        return self._plans

    def make_engine(self) -> Engine:
        """The engine to attack; by default on SQLite, emptied for each run.

        One database per thread serves every run (see :mod:`.scratch`): each
        run starts with no rows, and the database's statements stay compiled.
        """
        return Engine(scratch_database(), config=self.engine_config)

    def close_engine(self, engine: Engine) -> None:
        """Release what :meth:`make_engine` made (the scratch database stays for the next run)."""
        if not is_scratch(engine.db):
            engine.close()

    # -- rules -----------------------------------------------------------------

    @initialize(plan=_PLAN)
    def first_order(self, plan: HistoryPlan) -> None:
        """Every run has at least one order."""
        self.start_order(plan)

    @precondition(lambda self: len(self.orders) < self.max_orders)
    @rule(plan=_PLAN)
    def start_order(self, plan: HistoryPlan) -> None:
        """A shopper checks out: a new order with its own DR history."""
        history = build_history(plan, len(self.orders) + 1, prefix=f"r{self.run}-")
        self.orders.append(OrderRun(history, list(history.in_dr_order())))

    @precondition(lambda self: any(o.pending for o in self.orders))
    @rule(order=_PICK)
    def deliver_next(self, order: int) -> None:
        """The next delivery of one order, in DR's order."""
        run = self._waiting(order)
        self._deliver(run, run.pending[0])

    @precondition(lambda self: any(o.pending for o in self.orders))
    @rule(order=_PICK, which=_PICK)
    def deliver_out_of_order(self, order: int, which: int) -> None:
        """Any webhook of one order ahead of its turn (submit and answers stay in turn)."""
        run = self._waiting(order)
        options = run.deliverable()
        self._deliver(run, options[which % len(options)])

    @precondition(lambda self: any(events_of(o.delivered) for o in self.orders))
    @rule(order=_PICK, which=_PICK)
    def deliver_again(self, order: int, which: int) -> None:
        """DR retries a webhook already delivered."""
        runs = [o for o in self.orders if events_of(o.delivered)]
        run = runs[order % len(runs)]
        events = events_of(run.delivered)
        self._deliver(run, events[which % len(events)])

    @precondition(lambda self: any(o.delivered for o in self.orders))
    @rule()
    def dispatch(self) -> None:
        """The dispatcher runs a pass (retries of earlier failures are due by now)."""
        self._dispatch()

    @precondition(lambda self: bool(self.recorder.calls))
    @rule(which=_PICK)
    def hand_over_again(self, which: int) -> None:
        """A handled effect is handed over again, as after a crash before its ``done`` mark."""
        effect = self.recorder.calls[which % len(self.recorder.calls)]
        handler = self.registry.get(EffectName(effect.name))
        assert handler is not None
        try:
            handler(replace(effect, attempt=effect.attempt + 1))
        except Exception as exc:
            raise AssertionError(
                f"the {effect.name} handler failed when handed {effect.key} again, as the "
                f"dispatcher does after a crash between its success and the done mark: {exc!r}"
            ) from exc

    # -- checks ----------------------------------------------------------------

    @invariant()
    def lifecycle_promises_hold(self) -> None:
        """Every order moves forward on DR's path; terminal states absorb; effects once."""
        for run in self.orders:
            if not (run.dirty and run.submitted):
                continue
            view = self.engine.show(run.history.upstream_id)
            now = snapshot(view)
            before = run.last.state if run.last else OrderState.SUBMITTED
            assert_moves_forward(run.history.plan, before, now.state)
            if run.last is not None:
                assert_terminal_absorbs(run.last, now)
            run.last, run.dirty = now, False
            run.enqueued = enqueued_of(view)
        assert_run_promises(self.orders, self.sent(), self.recorder.calls, self.handled)

    def teardown(self) -> None:
        """Deliver the rest, dispatch until quiet, check convergence; then release the engine."""
        try:
            if sys.exc_info()[0] is None:  # a failing step is reported as it is
                self.converge()
        finally:
            self.close_engine(self.engine)

    def converge(self) -> None:
        """Deliver every pending delivery in DR's order, dispatch until quiet, check the end."""
        for run in self.orders:
            while run.pending:
                self._deliver(run, run.pending[0])
                self.lifecycle_promises_hold()
        for _ in range(self.dispatch_config.max_attempts + 1):
            report = self._dispatch()
            self.lifecycle_promises_hold()
            if not (report.done or report.retried or report.dead or report.lost):
                # Nothing was due: a retry is due within max_delay, which this
                # pass's clock had passed, and nothing new is enqueued any more.
                break
        for run, view in self._views():
            assert_run_converged(run, view)

    # -- helpers ---------------------------------------------------------------

    def _now(self) -> datetime:
        return utcnow() + self._late

    def _dispatch(self) -> DispatchReport:
        self._late += self.dispatch_config.max_delay
        if not self._unsettled():
            # Every effect of this run is done or dead (the outbox as last read,
            # which every delivery refreshes): a pass would find nothing of ours.
            return DispatchReport()
        report = self.dispatcher.run_once()
        settled = {*report.done_keys, *report.dead_keys}
        for run in self.orders:
            # The checks only need effects that settled: those orders are read again.
            if not run.dirty and any(e.key in settled for e in run.enqueued):
                run.dirty = True
        return report

    def _unsettled(self) -> bool:
        """Some effect of this run may still be handed over (as last read; retries count)."""
        return any(not e.settled for run in self.orders for e in run.enqueued)

    def _waiting(self, pick: int) -> OrderRun:
        runs = [o for o in self.orders if o.pending]
        return runs[pick % len(runs)]

    def _deliver(self, run: OrderRun, delivery: Delivery) -> None:
        deliver(self.engine, delivery.line)
        if delivery in run.pending:
            run.pending.remove(delivery)
        run.delivered.append(delivery)
        run.dirty = True

    def _views(self) -> list[tuple[OrderRun, OrderView]]:
        return [
            (run, self.engine.show(run.history.upstream_id)) for run in self.orders if run.submitted
        ]
