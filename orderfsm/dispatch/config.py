"""The dispatcher's settings and what one pass reports: small frozen values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from orderfsm.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class DispatchConfig:
    """How the dispatcher retries and claims; small and frozen."""

    max_attempts: int = 8
    """Attempts before an effect goes ``dead`` (a crash mid-attempt counts)."""
    base_delay: timedelta = timedelta(seconds=10)
    """Delay after the first failure; doubled after each further one."""
    max_delay: timedelta = timedelta(hours=1)
    """The longest delay between two attempts."""
    jitter: float = 0.2
    """Up to this fraction of the delay is taken off at random, so retries spread out."""
    lease: timedelta = timedelta(minutes=5)
    """How long a claim holds a row; a crashed dispatcher's rows are free again after it."""
    batch_size: int = 20
    """Rows claimed per transaction."""
    unhandled_keys_listed: int = 50
    """How many keys of unhandled effects a report lists (all are counted)."""

    def __post_init__(self) -> None:
        for name in ("max_attempts", "batch_size"):
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
        if self.lease <= timedelta(0):
            raise ConfigurationError(f"DispatchConfig.lease must be positive, not {self.lease}")
        for name in ("base_delay", "max_delay"):
            if getattr(self, name) < timedelta(0):
                raise ConfigurationError(
                    f"DispatchConfig.{name} must not be negative, not {getattr(self, name)}"
                )

    def delay(self, attempt: int, draw: float) -> timedelta:
        """The wait after failed attempt number ``attempt``; ``draw`` is uniform in [0, 1)."""
        exponent = min(attempt - 1, 62)  # beyond this the cap applies anyway
        capped = min(self.max_delay, self.base_delay * (1 << exponent))
        return capped * (1 - self.jitter * draw)


@dataclass(frozen=True, slots=True)
class DispatchReport:
    """What one pass did."""

    done: int = 0
    retried: int = 0
    """Attempts that failed and were scheduled again."""
    dead: int = 0
    lost: int = 0
    """Claims another dispatcher took over after this one's lease ran out."""
    unhandled: int = 0
    """Effects waiting with no handler registered (left ``pending``)."""
    unhandled_keys: tuple[str, ...] = ()
    done_keys: tuple[str, ...] = field(default=(), repr=False)
    dead_keys: tuple[str, ...] = field(default=(), repr=False)

    @property
    def handled(self) -> int:
        """Rows this pass finished one way or another."""
        return self.done + self.retried + self.dead
