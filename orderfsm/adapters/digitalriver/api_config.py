"""How the Digital River API client talks to DR: a small frozen configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from orderfsm.errors import ConfigurationError

DEFAULT_BASE_URL = "https://api.digitalriver.com"
"""DR's API; tests and the demo point the client at the local sandbox instead."""


@dataclass(frozen=True, slots=True)
class DrApiConfig:
    """Where DR is, the secret key, timeouts and retries.

    Timeouts follow DR's own connectors (10-30 s). ``max_attempts`` counts
    every try of a retried call (GETs); ``POST`` calls are tried once, since
    DR offers no idempotency key: the caller decides (see
    :mod:`orderfsm.service.submission`). Backoff between tries is
    exponential from ``backoff_initial_s``, capped at ``backoff_max_s``, with
    up to ``backoff_jitter_s`` added at random. A ``429`` makes the whole
    client wait its ``Retry-After`` (at most ``max_retry_after_s``).
    """

    secret_key: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    max_attempts: int = 3
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 5.0
    backoff_jitter_s: float = 0.25
    max_retry_after_s: float = 60.0

    def __post_init__(self) -> None:
        if not self.secret_key.strip():
            raise ConfigurationError("the Digital River secret key is empty")
        parts = urlsplit(self.base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigurationError(
                f"the Digital River API URL must be http(s)://host[:port], not {self.base_url!r}"
            )
        if self.max_attempts < 1:
            raise ConfigurationError(f"max_attempts must be at least 1, not {self.max_attempts}")
        for name in (
            "connect_timeout_s",
            "read_timeout_s",
            "backoff_max_s",
            "max_retry_after_s",
        ):
            if getattr(self, name) <= 0:
                raise ConfigurationError(f"{name} must be positive, not {getattr(self, name)}")
        for name in ("backoff_initial_s", "backoff_jitter_s"):
            if getattr(self, name) < 0:
                raise ConfigurationError(f"{name} must not be negative, not {getattr(self, name)}")

    @property
    def root(self) -> str:
        """The base URL without a trailing slash, so paths join cleanly."""
        return self.base_url.rstrip("/")
