"""``with`` for the objects that hold connections: the engine, the dispatcher, the clients.

Each of them releases what it holds in ``close()``; this base gives them the
one ``__enter__``/``__exit__`` pair, so a ``with`` block closes them however
it ends (an exception inside is never swallowed).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class Closing(ABC):
    """A context manager whose exit is :meth:`close`; ``__enter__`` returns the object."""

    __slots__ = ()

    @abstractmethod
    def close(self) -> None:
        """Release what the object holds (connections, pools)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
