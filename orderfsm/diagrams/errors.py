"""The diagrams' own error, under the package's one root."""

from __future__ import annotations

from orderfsm.errors import OrderFsmError

INSTALL_GRAPHVIZ = (
    "install Graphviz so that `dot` is on the PATH "
    "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz)"
)


class DiagramError(OrderFsmError):
    """A diagram could not be made: Graphviz's ``dot`` is missing or failed, or bad input."""
