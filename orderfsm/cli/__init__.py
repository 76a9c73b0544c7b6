"""The ``orderfsm`` command line (click + rich)."""

from orderfsm.cli.app import cli, main

__all__ = ["cli", "main"]
