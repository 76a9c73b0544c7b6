"""How a worker paces itself, retries its passes and stops: :class:`WorkerConfig`.

:func:`~orderfsm.service.worker.run_worker` takes one; ``orderfsm worker``
builds one from its options. Invalid values raise
:class:`~orderfsm.errors.ConfigurationError` when the config is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

from orderfsm.dispatch import DispatchConfig
from orderfsm.errors import ConfigurationError
from orderfsm.inbox import InboxPolicy


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """How a worker paces itself, retries its passes and stops; small and frozen."""

    dispatch: DispatchConfig = field(default_factory=DispatchConfig)
    """Effect delivery: attempts, backoff, lease, handler timeouts and slots."""
    inbox: InboxPolicy = field(default_factory=InboxPolicy)
    """Inbox application: batch, attempts, lease."""
    interval: timedelta = timedelta(seconds=2)
    """Rest of a part that found nothing due."""
    grace: timedelta = timedelta(seconds=10)
    """On stop: how long running handlers may still finish."""
    outage_delay: timedelta = timedelta(seconds=0.5)
    """Wait after a part's first failed pass; doubled after each further one."""
    max_outage_delay: timedelta = timedelta(seconds=30)
    """The longest wait between two failed passes."""
    once: bool = False
    """Do what is due now (inbox, then effects), then return."""

    def __post_init__(self) -> None:
        for name in ("interval", "outage_delay", "max_outage_delay"):
            if getattr(self, name) <= timedelta(0):
                raise ConfigurationError(f"WorkerConfig.{name} must be positive")
        if self.grace < timedelta(0):
            raise ConfigurationError("WorkerConfig.grace must not be negative")

    def outage_wait(self, failures: int) -> timedelta:
        """The wait after ``failures`` consecutive failed passes."""
        return min(self.max_outage_delay, self.outage_delay * (1 << min(failures - 1, 30)))

    def with_lease(self, lease: timedelta) -> WorkerConfig:
        """The same configuration with ``lease`` for both inbox and outbox claims."""
        return replace(
            self,
            dispatch=replace(self.dispatch, lease=lease),
            inbox=replace(self.inbox, lease=lease),
        )
