"""The worker's periodic steps: reconcile from DR's ``GET /events``, and the stuck scan.

``orderfsm worker --reconcile-every 10m`` (or a host's
``run_worker(..., upkeep=Upkeep(...))``) runs them in a thread of their own,
beside the inbox and effects parts, first at start and then once per period:

* **reconcile** (:func:`~orderfsm.service.reconcile.reconcile`): events DR
  could not deliver are read into the inbox and applied, so the worker alone
  brings orders to DR's state when webhooks are lost;
* **stuck scan**: the orders past their state's deadline are refreshed from
  DR first when asked (:func:`~orderfsm.service.refresh.refresh_order`), and
  those still past it get ``notify_operator_stuck``, once per stay
  (:func:`~orderfsm.service.overdue.notify_overdue`).

A step that fails (DR unreachable, rate limited, the database down) is
reported in one line and tried again at its next period; it never stops the
worker. A stop is seen between two DR pages or inbox entries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from orderfsm.adapters.digitalriver.client import DrClient
from orderfsm.errors import ConfigurationError, DrApiError
from orderfsm.fsm.states import OrderState
from orderfsm.service.engine import Engine
from orderfsm.service.overdue import OverdueReport, notify_overdue
from orderfsm.service.reconcile import DEFAULT_POLICY, ReconcilePolicy, ReconcileReport, reconcile
from orderfsm.service.refresh import refresh_order
from orderfsm.service.stuck import deadlines_with, stuck_orders


class UpkeepStep(StrEnum):
    """The periodic steps, in the order a round runs them."""

    RECONCILE = "reconcile"
    STUCK = "stuck"


@dataclass(frozen=True, slots=True)
class UpkeepConfig:
    """Which periodic steps run, and how often; small and frozen."""

    reconcile_every: timedelta | None = None
    """Reconcile from ``GET /events`` this often (``None``: never)."""
    stuck_every: timedelta | None = None
    """Scan for stuck orders this often (``None``: never)."""
    refresh_stuck: bool = False
    """Read each stuck order from DR (``GET /orders``) before telling the operator."""
    deadlines: Mapping[OrderState, timedelta] = field(default_factory=dict)
    """The host's deadlines over the lifecycle table's."""
    reconcile_policy: ReconcilePolicy = DEFAULT_POLICY

    def __post_init__(self) -> None:
        for name in ("reconcile_every", "stuck_every"):
            period = getattr(self, name)
            if period is not None and period <= timedelta(0):
                raise ConfigurationError(f"UpkeepConfig.{name} must be positive, not {period}")
        if self.refresh_stuck and self.stuck_every is None:
            raise ConfigurationError("UpkeepConfig.refresh_stuck needs a stuck_every period")
        deadlines_with(self.deadlines)  # a bad deadline is refused now, not at the first scan

    @property
    def periods(self) -> dict[UpkeepStep, timedelta]:
        """The steps that run, with their periods."""
        periods = {UpkeepStep.RECONCILE: self.reconcile_every, UpkeepStep.STUCK: self.stuck_every}
        return {step: period for step, period in periods.items() if period is not None}

    @property
    def needs_dr(self) -> bool:
        """Whether a step talks to DR."""
        return self.reconcile_every is not None or self.refresh_stuck


@dataclass(frozen=True, slots=True)
class Reconciled:
    """A periodic reconcile ran."""

    at: datetime
    report: ReconcileReport


@dataclass(frozen=True, slots=True)
class StuckScanned:
    """A stuck scan ran: ``refreshed`` orders read from DR, then the notices."""

    at: datetime
    report: OverdueReport
    refreshed: int


@dataclass(frozen=True, slots=True)
class StepFailed:
    """A periodic step failed; it runs again in ``retry_in`` (its period)."""

    at: datetime
    step: UpkeepStep
    error: str
    retry_in: timedelta


UpkeepReport = Reconciled | StuckScanned | StepFailed
"""What the periodic steps tell the worker's host."""


class Upkeep:
    """The periodic steps of one worker, with the DR client they use."""

    def __init__(self, config: UpkeepConfig, client: DrClient | None = None) -> None:
        if config.needs_dr and client is None:
            raise ConfigurationError(
                "reconcile and refresh read from Digital River: they need DR settings (a DrClient)"
            )
        self.config = config
        self.client = client

    def run(
        self,
        engine: Engine,
        stop: threading.Event,
        tell: Callable[[UpkeepReport], None],
        *,
        once: bool = False,
    ) -> None:
        """Run each step now and then every period until ``stop`` (``once``: one round)."""
        periods = self.config.periods
        due = dict.fromkeys(periods, time.monotonic())
        while periods and not stop.is_set():
            for step, period in periods.items():
                if stop.is_set() or time.monotonic() < due[step]:
                    continue
                self._step(step, engine, stop, tell, period)
                due[step] = time.monotonic() + period.total_seconds()
            if once:
                return
            stop.wait(max(0.0, min(due.values()) - time.monotonic()))

    def _step(
        self,
        step: UpkeepStep,
        engine: Engine,
        stop: threading.Event,
        tell: Callable[[UpkeepReport], None],
        period: timedelta,
    ) -> None:
        try:
            if step is UpkeepStep.RECONCILE:
                assert self.client is not None
                policy = self.config.reconcile_policy
                tell(Reconciled(_now(), reconcile(engine, self.client, policy=policy, stop=stop)))
            else:
                self._scan(engine, stop, tell)
        except Exception as exc:  # DR or the database down: told, and tried next period
            tell(StepFailed(_now(), step, one_line(exc), period))

    def _scan(
        self, engine: Engine, stop: threading.Event, tell: Callable[[UpkeepReport], None]
    ) -> None:
        deadlines = self.config.deadlines
        late = list(stuck_orders(engine, deadlines=deadlines))
        found: dict[str, str] = {}
        if self.config.refresh_stuck and late:
            assert self.client is not None
            try:
                for order in late:
                    if stop.is_set():
                        break
                    result = refresh_order(engine, self.client, order.upstream_id)
                    found[order.upstream_id] = result.status.value
            except DrApiError as exc:  # DR is down: tell the operator about them anyway
                period = self.config.stuck_every or timedelta(0)
                tell(StepFailed(_now(), UpkeepStep.STUCK, f"refresh: {one_line(exc)}", period))
            late = list(stuck_orders(engine, deadlines=deadlines))
        tell(StuckScanned(_now(), notify_overdue(engine, late, dr_found=found), len(found)))


def describe_upkeep(report: UpkeepReport) -> str:
    """The report's text (without its time)."""
    match report:
        case Reconciled(report=r):
            return f"reconcile: {r.line()}"
        case StuckScanned(report=r):
            refreshed = f", {report.refreshed} refreshed from DR" if report.refreshed else ""
            return f"stuck: {r.stuck} past their deadline{refreshed}, {r.notified} newly notified"
        case StepFailed():
            return (
                f"{report.step.value} failed, trying again in "
                f"{report.retry_in.total_seconds():g}s: {report.error}"
            )


def one_line(exc: BaseException) -> str:
    """``Type: first line`` of an error."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _now() -> datetime:
    return datetime.now(UTC)
