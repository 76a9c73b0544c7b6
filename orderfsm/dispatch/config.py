"""How the dispatcher retries, claims and bounds its handlers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from orderfsm.errors import ConfigurationError
from orderfsm.fsm.effects import EffectName


@dataclass(frozen=True, slots=True)
class DispatchConfig:
    """How the dispatcher retries, claims and bounds its handlers; small and frozen."""

    max_attempts: int = 8
    """Attempts before an effect goes ``dead`` (a crash mid-attempt counts)."""
    base_delay: timedelta = timedelta(seconds=10)
    """Delay after the first failure; doubled after each further one."""
    max_delay: timedelta = timedelta(hours=1)
    """The longest delay between two attempts."""
    jitter: float = 0.2
    """Up to this fraction of the delay is taken off at random, so retries spread out."""
    lease: timedelta = timedelta(minutes=1)
    """How long a claim holds a row unrenewed; a crashed dispatcher's rows are free after it."""
    batch_size: int = 20
    """Rows claimed per transaction; those beyond the free slots wait in the dispatcher."""
    unhandled_keys_listed: int = 50
    """How many keys of unhandled effects a report lists (all are counted)."""
    handler_timeout: timedelta = timedelta(minutes=5)
    """How long a handler may run before its attempt counts as failed."""
    handler_timeouts: Mapping[EffectName, timedelta] = field(default_factory=dict)
    """Timeouts of particular effects, instead of ``handler_timeout``."""
    handler_slots: int = 4
    """Handler calls at once, abandoned (timed-out) ones included."""

    def __post_init__(self) -> None:
        for name in ("max_attempts", "batch_size", "handler_slots"):
            if getattr(self, name) < 1:
                raise ConfigurationError(
                    f"DispatchConfig.{name} must be at least 1, not {getattr(self, name)}"
                )
        if self.unhandled_keys_listed < 0:
            raise ConfigurationError(
                f"DispatchConfig.unhandled_keys_listed must not be negative, "
                f"not {self.unhandled_keys_listed}"
            )
        if not 0 <= self.jitter <= 1:
            raise ConfigurationError(
                f"DispatchConfig.jitter must be a fraction between 0 and 1, not {self.jitter}"
            )
        for name in ("lease", "handler_timeout"):
            if getattr(self, name) <= timedelta(0):
                raise ConfigurationError(
                    f"DispatchConfig.{name} must be positive, not {getattr(self, name)}"
                )
        for name in ("base_delay", "max_delay"):
            if getattr(self, name) < timedelta(0):
                raise ConfigurationError(
                    f"DispatchConfig.{name} must not be negative, not {getattr(self, name)}"
                )
        for effect, timeout in self.handler_timeouts.items():
            if timeout <= timedelta(0):
                raise ConfigurationError(
                    f"DispatchConfig.handler_timeouts[{effect}] must be positive, not {timeout}"
                )

    def delay(self, attempt: int, draw: float) -> timedelta:
        """The wait after failed attempt number ``attempt``; ``draw`` is uniform in [0, 1)."""
        exponent = min(attempt - 1, 62)  # beyond this the cap applies anyway
        capped = min(self.max_delay, self.base_delay * (1 << exponent))
        return capped * (1 - self.jitter * draw)

    def timeout_for(self, name: EffectName) -> timedelta:
        """How long the handler of ``name`` may run."""
        return self.handler_timeouts.get(name, self.handler_timeout)
