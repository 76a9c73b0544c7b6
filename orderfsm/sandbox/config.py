"""The sandbox's settings: keys it accepts, where webhooks go, faults, clocks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from orderfsm.errors import ConfigurationError
from orderfsm.sandbox.faults import Faults
from orderfsm.sandbox.scenarios import Scenario

DEFAULT_KEY = "sk_test_sandbox"
"""The secret key a sandbox accepts unless told otherwise (a local, test-mode key)."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """How a sandbox behaves; frozen, given to :func:`orderfsm.sandbox.create_sandbox`."""

    secret_keys: tuple[str, ...] = (DEFAULT_KEY,)
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    faults: Faults = field(default_factory=Faults)
    default_scenario: Scenario = Scenario.ACCEPTED
    """What an unknown checkout does when its id names no scenario."""
    auto_advance: bool = True
    """Walk each order through its scenario at once; else ``POST /_sandbox/orders/{id}/advance``."""
    webhook_attempts: int = 3
    webhook_backoff_s: float = 0.2
    clock: Callable[[], datetime] = _utcnow
    """DR's clock: createdTime, stateTransitions."""

    def __post_init__(self) -> None:
        if not self.secret_keys or not all(k.strip() for k in self.secret_keys):
            raise ConfigurationError("the sandbox needs at least one non-empty secret key")
        if (self.webhook_url is None) != (self.webhook_secret is None):
            raise ConfigurationError("webhooks need both a URL and a signing secret")
        if self.webhook_attempts < 1:
            raise ConfigurationError(
                f"webhook_attempts must be at least 1, not {self.webhook_attempts}"
            )
