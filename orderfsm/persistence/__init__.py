"""Storage: SQLModel tables, stores of frozen records, migrations (SQLite or PostgreSQL)."""

from orderfsm.persistence.database import open_engine
from orderfsm.persistence.records import (
    EffectEntry,
    HistoryEntry,
    NewOrder,
    OrderRecord,
    OrderView,
    ParkedSignal,
    PendingEffect,
)
from orderfsm.persistence.repository import Repository
from orderfsm.persistence.schema import ensure_current, upgrade
from orderfsm.persistence.store import Store
from orderfsm.persistence.tables import EffectStatus, InboxStatus
from orderfsm.persistence.transaction import Collision, Transaction, is_transient
from orderfsm.persistence.write_behind import BatchReads, WriteBehind

__all__ = [
    "BatchReads",
    "Collision",
    "EffectEntry",
    "EffectStatus",
    "HistoryEntry",
    "InboxStatus",
    "NewOrder",
    "OrderRecord",
    "OrderView",
    "ParkedSignal",
    "PendingEffect",
    "Repository",
    "Store",
    "Transaction",
    "WriteBehind",
    "ensure_current",
    "is_transient",
    "open_engine",
    "upgrade",
]
