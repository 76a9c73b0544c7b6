"""Optional parts of orderfsm and the packages each needs (``pip install 'orderfsm[NAME]'``).

A host that embeds the engine installs no web server; ``orderfsm serve``, the
demo and the receiver's app need the ``server`` extra. :func:`require` is
called where such a part starts, so its absence is one line naming the extra
to install, not an ``ImportError`` from deep inside.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from orderfsm.errors import MissingExtra


@dataclass(frozen=True, slots=True)
class Extra:
    """An extra of the ``orderfsm`` distribution and the modules that must import for it."""

    name: str
    modules: tuple[str, ...]
    """Imported to check; the extra's speed-ups (httptools, uvloop) are not required."""

    @property
    def install(self) -> str:
        """The command that installs it."""
        return f"pip install 'orderfsm[{self.name}]'"


SERVER = Extra("server", ("starlette", "uvicorn"))
"""``orderfsm serve`` and the demo: the receiver (Starlette) under uvicorn."""

RECEIVER = Extra("server", ("starlette",))
"""The receiver's ASGI app alone, as a host mounts it (FastAPI brings Starlette)."""


def require(extra: Extra, needed_by: str) -> None:
    """Raise :class:`MissingExtra` unless every module of ``extra`` imports."""
    for module in extra.modules:
        try:
            import_module(module)
        except ImportError:
            raise MissingExtra(
                f"{needed_by} needs the {extra.name} extra: {extra.install}"
            ) from None
