"""Internal retry signals: a store met another transaction's work (never seen by callers).

Raised inside a transaction and turned into a :class:`~orderfsm.persistence.
transaction.Collision` by :class:`~orderfsm.persistence.transaction.Transaction`
when it ends; the service then runs the unit of work again from the start.
They sit in orderfsm's one error tree (``orderfsm.errors``), marked internal.
"""

from __future__ import annotations

from orderfsm.errors import OrderFsmError


class Contention(OrderFsmError):
    """Another transaction got in the way; the unit of work must run again."""


class VersionConflict(Contention):
    """Another transaction changed the order since it was read."""
