"""Data as terminal text: never read as rich markup, control characters made visible.

Ids, keys, reasons and errors come from Digital River, the host and the
database; any of them may hold ``[``, ``]``, ``\\`` or control characters.
Printed as markup, ``evt-[/x]-1`` raises rich's ``MarkupError`` (it once
crashed the worker on every restart); printed raw, an ESC sequence drives
the operator's terminal. :func:`plain` is how every command shows data.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""C0 and C1 control characters (tab and newline included: one cell, one line)."""


def visible(value: object) -> str:
    """``str(value)`` with each control character written as ``\\xNN``."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", str(value))


def plain(value: object, style: str = "") -> Text:
    """``value`` as rich text that no markup parser ever reads (optionally styled)."""
    from rich.text import Text

    return Text(visible(value), style=style)


def joined(*parts: Text | str | tuple[str, str]) -> Text:
    """Rich text from pieces; a ``str`` (or ``(str, style)``) is never read as markup either."""
    from rich.text import Text

    return Text.assemble(*parts)
