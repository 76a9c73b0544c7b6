"""Who acts from the command line: the OS user, recorded with each retry."""

from __future__ import annotations

import getpass

from orderfsm.persistence.operator_actions import ActionVia, Operator

UNKNOWN_USER = "unknown"
"""Recorded when the OS cannot say who runs the command (no login name, no USER)."""


def cli_operator() -> Operator:
    """The operator behind this CLI process."""
    try:
        actor = getpass.getuser()
    except (KeyError, OSError):
        actor = UNKNOWN_USER
    return Operator(actor=actor, via=ActionVia.CLI)
