"""Where ``orderfsm serve`` takes its secrets from: the environment or a file, argv warned against.

``ps`` shows every process's arguments to every local user, so ``--secret``
and ``--basic-auth-password`` still work but print a warning; each secret
comes from exactly one place, so a forgotten variable never silently
overrides a file (or the other way round).
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from click.core import ParameterSource

from orderfsm.cli.options import ENV_SECRETS

ARGV_WARNING = "visible to every local user in `ps`"
"""Why a secret does not belong on the command line (said in ``--help`` and at start)."""


def secrets_from(argv_secrets: tuple[str, ...], secret_file: Path | None) -> tuple[str, ...]:
    """The signing secrets from exactly one place: the variable, --secret-file or --secret."""
    from orderfsm.adapters.http.config import read_secret_file, split_secrets
    from orderfsm.errors import ConfigurationError

    from_env = split_secrets(os.environ.get(ENV_SECRETS, ""))
    sources = [ENV_SECRETS] if from_env else []
    sources += ["--secret-file"] if secret_file is not None else []
    sources += ["--secret"] if argv_secrets else []
    if len(sources) > 1:
        raise click.UsageError(f"give the signing secrets one way, not {' and '.join(sources)}")
    if secret_file is not None:
        try:
            return read_secret_file(secret_file)
        except ConfigurationError as exc:
            raise click.UsageError(str(exc)) from None
    if argv_secrets:
        return tuple(secret.strip() for secret in argv_secrets)
    if not from_env:
        raise click.UsageError(f"give the webhook signing secrets: {ENV_SECRETS} or --secret-file")
    return from_env


def password_from(
    ctx: click.Context, password: str | None, password_file: Path | None
) -> str | None:
    """The basic auth password from one place: its variable, --basic-auth-password or a file."""
    from orderfsm.adapters.http.config import read_password_file
    from orderfsm.errors import ConfigurationError

    if password_file is not None:
        if password:
            raise click.UsageError(
                "give the basic auth password one way: its variable, --basic-auth-password "
                "or --basic-auth-password-file"
            )
        try:
            return read_password_file(password_file)
        except ConfigurationError as exc:
            raise click.UsageError(str(exc)) from None
    return password


def warn_about_argv(ctx: click.Context, argv_secrets: tuple[str, ...]) -> None:
    """One warning line per secret given on the command line (said once the server can start)."""
    given = ["--secret"] if argv_secrets else []
    if ctx.get_parameter_source("basic_auth_password") is ParameterSource.COMMANDLINE:
        given.append("--basic-auth-password")
    for option in given:
        click.echo(
            f"orderfsm: warning: {option} on the command line is {ARGV_WARNING}; "
            f"use {ENV_SECRETS}, --secret-file or the password variable or file instead",
            err=True,
        )
