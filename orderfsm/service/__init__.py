"""The application layer: applying commands to stored orders; it owns no SQL.

* :mod:`~orderfsm.service.engine`: the :class:`Engine` facade;
* :mod:`~orderfsm.service.preparing`: the command-handler table (command -> unit);
* :mod:`~orderfsm.service.applying`: one unit of work (find, deduplicate, fire, write);
* :mod:`~orderfsm.service.parking`: events for unknown orders, adopted DR orders;
* :mod:`~orderfsm.service.writes`: the history entries and effect intents a unit writes;
* :mod:`~orderfsm.service.retry` and :mod:`~orderfsm.service.batch`: one unit
  alone with retries, or many in one transaction;
* :mod:`~orderfsm.service.submission`: ``POST /orders`` through the DR client,
  recovering lost answers;
* :mod:`~orderfsm.service.worker`: the worker loop (inbox and outbox) as a
  library function.
"""

from orderfsm.service.engine import Engine
from orderfsm.service.results import ApplyResult, EngineConfig

__all__ = ["ApplyResult", "Engine", "EngineConfig"]
