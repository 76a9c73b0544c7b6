"""Storage: SQLModel tables, the unit of work, migrations (SQLite or PostgreSQL)."""

from orderfsm.persistence.database import open_engine
from orderfsm.persistence.records import EffectEntry, HistoryEntry, OrderRecord, OrderView
from orderfsm.persistence.repository import Contention, Identity, Repository, VersionConflict
from orderfsm.persistence.schema import ensure_current, upgrade
from orderfsm.persistence.tables import EffectStatus, InboxStatus, Outcome, SignalOrigin
from orderfsm.persistence.transaction import is_transient, transact
from orderfsm.persistence.unit_of_work import UnitOfWork

__all__ = [
    "Contention",
    "EffectEntry",
    "EffectStatus",
    "HistoryEntry",
    "Identity",
    "InboxStatus",
    "OrderRecord",
    "OrderView",
    "Outcome",
    "Repository",
    "SignalOrigin",
    "UnitOfWork",
    "VersionConflict",
    "ensure_current",
    "is_transient",
    "open_engine",
    "transact",
    "upgrade",
]
