"""The receiver's configuration: one small frozen object, and its environment form.

:class:`ReceiverConfig` is what :func:`~orderfsm.adapters.http.create_app`
takes. The environment form exists for one reason: uvicorn starts several
worker processes from an import string, so ``orderfsm serve --workers N``
writes the configuration into its own environment (:meth:`ReceiverConfig.to_env`)
and each worker's :func:`~orderfsm.adapters.http.app_from_env` reads it back
(:meth:`ReceiverConfig.from_env`). Hosts embedding the app build the config
in code and never touch the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine as DbEngine

from orderfsm.adapters.digitalriver.signature import DEFAULT_TOLERANCE, SignatureConfig
from orderfsm.errors import ConfigurationError
from orderfsm.persistence.source import HoldsDatabase, database_of

WEBHOOK_PATH = "/webhooks/digitalriver"
"""Where DR posts its events, unless configured otherwise."""

HEALTH_PATH = "/healthz"
"""Where load balancers and operators ask whether the receiver can store events."""

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
"""Bodies larger than this are refused with 413 (DR's events are a few KiB)."""

DEFAULT_HEADER_TIMEOUT_S = 10.0
"""Seconds a client has to send a request's headers (DR sends them at once)."""

DEFAULT_MAX_HEADER_BYTES = 64 * 1024
"""Most bytes a request's headers may take (DR's are well under 2 KiB)."""

DEFAULT_MAX_CONNECTIONS = 512
"""Open connections per server process; keep it below the process's ``ulimit -n``."""

DEFAULT_BODY_TIMEOUT_S = 10.0
"""A body not fully received this long after its headers gets 408 (DR sends a few KiB at once)."""

ENV_DB = "ORDERFSM_DB"
ENV_SECRETS = "ORDERFSM_WEBHOOK_SECRETS"
ENV_TOLERANCE = "ORDERFSM_WEBHOOK_TOLERANCE"
ENV_MAX_BODY_BYTES = "ORDERFSM_WEBHOOK_MAX_BODY_BYTES"
ENV_BASIC_AUTH_USER = "ORDERFSM_WEBHOOK_BASIC_AUTH_USER"
ENV_BASIC_AUTH_PASSWORD = "ORDERFSM_WEBHOOK_BASIC_AUTH_PASSWORD"
ENV_PATH = "ORDERFSM_WEBHOOK_PATH"
ENV_BODY_TIMEOUT = "ORDERFSM_WEBHOOK_BODY_TIMEOUT"
ENV_SECRET_FILE = "ORDERFSM_WEBHOOK_SECRET_FILE"
ENV_BASIC_AUTH_PASSWORD_FILE = "ORDERFSM_WEBHOOK_BASIC_AUTH_PASSWORD_FILE"
ENV_CREATE_IF_EMPTY = "ORDERFSM_WEBHOOK_CREATE_IF_EMPTY"

SECRETS_SEPARATOR = ","
"""``ORDERFSM_WEBHOOK_SECRETS`` holds one or more secrets separated by commas."""


@dataclass(frozen=True, slots=True)
class BasicAuth:
    """HTTP basic credentials DR sends when the webhook is configured with them."""

    user: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.user.strip() or not self.password.strip():
            raise ConfigurationError("basic auth needs a non-blank user and password")
        if ":" in self.user:
            raise ConfigurationError("the basic auth user must not contain ':'")


@dataclass(frozen=True, slots=True)
class ReceiverConfig:
    """Everything the webhook receiver needs; secrets never appear in its ``repr``."""

    database: str | DbEngine | HoldsDatabase
    """A database URL (the app opens and closes its engine), or the host's own
    ``orderfsm.Engine`` (kept as its SQLAlchemy engine) or SQLAlchemy engine."""
    secrets: tuple[str, ...] = field(repr=False)
    """The endpoint's signing secrets (old and new during a rotation)."""
    tolerance: timedelta = DEFAULT_TOLERANCE
    """How far a signature's timestamp may be from now."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    basic_auth: BasicAuth | None = None
    """When set, deliveries must also carry these HTTP basic credentials."""
    path: str = WEBHOOK_PATH
    body_timeout: float = DEFAULT_BODY_TIMEOUT_S
    """Seconds a delivery may take to send its body once its headers are in; then 408."""
    create_if_empty: bool = False
    """Give a brand-new, empty database the schema when it first answers (``orderfsm
    serve`` does); otherwise a database without the current schema gets 503."""

    def __post_init__(self) -> None:
        if not isinstance(self.database, str):
            # Frozen: the host's Engine is swapped for its SQLAlchemy engine once, here.
            object.__setattr__(
                self, "database", database_of(self.database, needed_by="ReceiverConfig.database")
            )
        if not self.secrets or not all(secret.strip() for secret in self.secrets):
            raise ConfigurationError("the receiver needs signing secrets, none of them blank")
        if not self.body_timeout > 0:
            raise ConfigurationError("body_timeout must be a positive number of seconds")
        if self.max_body_bytes < 1:
            raise ConfigurationError("max_body_bytes must be at least 1")
        if self.tolerance < timedelta(0):
            raise ConfigurationError("tolerance must not be negative")
        if not self.path.startswith("/") or self.path == HEALTH_PATH:
            raise ConfigurationError(f"path must start with '/' and differ from {HEALTH_PATH}")

    @property
    def database_url_or_engine(self) -> str | DbEngine:
        """``database`` as the app opens it: a URL, or the SQLAlchemy engine it was given."""
        database = self.database
        return (
            database
            if isinstance(database, str)
            else database_of(database, needed_by="ReceiverConfig.database")
        )

    @property
    def signature(self) -> SignatureConfig:
        """The signature check this configuration asks for."""
        return SignatureConfig(self.secrets, self.tolerance)

    def to_env(self) -> dict[str, str]:
        """The environment variables :meth:`from_env` reads back (database given as a URL)."""
        if not isinstance(self.database, str):
            raise ConfigurationError("only a configuration with a database URL has an env form")
        env = {
            ENV_DB: self.database,
            ENV_SECRETS: SECRETS_SEPARATOR.join(self.secrets),
            ENV_TOLERANCE: str(self.tolerance.total_seconds()),
            ENV_MAX_BODY_BYTES: str(self.max_body_bytes),
            ENV_PATH: self.path,
            ENV_BODY_TIMEOUT: str(self.body_timeout),
            ENV_CREATE_IF_EMPTY: "1" if self.create_if_empty else "",
        }
        if self.basic_auth is not None:
            env[ENV_BASIC_AUTH_USER] = self.basic_auth.user
            env[ENV_BASIC_AUTH_PASSWORD] = self.basic_auth.password
        return env

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ReceiverConfig:
        """The configuration :meth:`to_env` wrote (``ORDERFSM_DB`` and the secrets required)."""
        database = environ.get(ENV_DB, "").strip()
        if not database:
            raise ConfigurationError(f"{ENV_DB} is not set")
        user = environ.get(ENV_BASIC_AUTH_USER)
        tolerance = environ.get(ENV_TOLERANCE)
        max_body = environ.get(ENV_MAX_BODY_BYTES)
        body_timeout = environ.get(ENV_BODY_TIMEOUT)
        try:
            seconds = float(tolerance) if tolerance else DEFAULT_TOLERANCE.total_seconds()
            max_body_bytes = int(max_body) if max_body else DEFAULT_MAX_BODY_BYTES
            body_seconds = float(body_timeout) if body_timeout else DEFAULT_BODY_TIMEOUT_S
        except ValueError as exc:
            raise ConfigurationError(
                f"{ENV_TOLERANCE}, {ENV_MAX_BODY_BYTES} and {ENV_BODY_TIMEOUT} must be numbers"
            ) from exc
        return cls(
            database=database,
            secrets=split_secrets(environ.get(ENV_SECRETS, "")),
            tolerance=timedelta(seconds=seconds),
            max_body_bytes=max_body_bytes,
            basic_auth=BasicAuth(user, environ.get(ENV_BASIC_AUTH_PASSWORD, "")) if user else None,
            path=environ.get(ENV_PATH) or WEBHOOK_PATH,
            body_timeout=body_seconds,
            create_if_empty=bool(environ.get(ENV_CREATE_IF_EMPTY)),
        )


def split_secrets(text: str) -> tuple[str, ...]:
    """Secrets from their comma-separated form; blanks around and between are dropped."""
    return tuple(part.strip() for part in text.split(SECRETS_SEPARATOR) if part.strip())


def read_secret_file(path: Path) -> tuple[str, ...]:
    """Signing secrets from a file, one a line, the newest first; blank lines are skipped.

    A file keeps secrets out of ``argv`` (``ps`` shows argv to every local
    user); errors name the file, never a line of it.
    """
    lines = _read_private_file(path).splitlines()
    secrets = tuple(line.strip() for line in lines if line.strip())
    if not secrets:
        raise ConfigurationError(f"secret file {path}: no secret in it")
    return secrets


def read_password_file(path: Path) -> str:
    """A password from a file: its first line, without the line break."""
    lines = _read_private_file(path).splitlines()
    password = lines[0].strip() if lines else ""
    if not password:
        raise ConfigurationError(f"password file {path}: empty")
    return password


def _read_private_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigurationError(f"cannot read {path}: {reason}") from None
