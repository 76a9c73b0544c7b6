"""pytest fixtures for testing a backend against orderfsm (entry point ``pytest11``).

Loaded by every pytest run in an environment where orderfsm is installed, so
importing it does nothing but define fixtures: the engine, SQLAlchemy and
hypothesis load only when a test asks for a fixture. Fixture names start with
``orderfsm_`` so they never shadow a project's own.

* ``orderfsm_engine``: an :class:`~orderfsm.service.Engine` on a fresh SQLite
  file in the test's temporary folder;
* ``orderfsm_recorder``: an :class:`~orderfsm.testing.recorder.EffectRecorder`;
* ``orderfsm_feed``: ``feed(journal)`` applies journal lines (dicts, JSON text)
  or a journal file to ``orderfsm_engine`` and returns each line's result;
* ``orderfsm_dispatch``: ``dispatch(handlers=None, classifier=None)`` runs the
  dispatcher over ``orderfsm_engine``'s outbox until nothing is due, handing
  effects to ``handlers`` (the others to the recorder only), and returns the
  recorder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from orderfsm.service import ApplyResult, Engine
    from orderfsm.testing.journals import Journal
    from orderfsm.testing.recorder import EffectRecorder


@pytest.fixture
def orderfsm_engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine on a fresh SQLite database in the test's temporary folder."""
    from orderfsm.service import Engine

    with Engine.open(f"sqlite:///{tmp_path / 'orderfsm.db'}", create_if_empty=True) as engine:
        yield engine


@pytest.fixture
def orderfsm_recorder() -> EffectRecorder:
    """A recording handler set: handlers for every effect that record what they get."""
    from orderfsm.testing.recorder import EffectRecorder

    return EffectRecorder()


@pytest.fixture
def orderfsm_feed(orderfsm_engine: Engine) -> Callable[[Journal], list[ApplyResult]]:
    """``feed(journal)``: apply journal lines or a journal file to ``orderfsm_engine``."""
    from orderfsm.testing.journals import feed

    def feed_engine(journal: Journal) -> list[ApplyResult]:
        return feed(orderfsm_engine, journal)

    return feed_engine


@pytest.fixture
def orderfsm_dispatch(
    orderfsm_engine: Engine, orderfsm_recorder: EffectRecorder
) -> Callable[..., EffectRecorder]:
    """``dispatch(handlers=None, classifier=None)``: deliver the outbox; returns the recorder."""
    from orderfsm.dispatch import Dispatcher, HandlerRegistry

    def dispatch(
        handlers: Mapping[Any, Callable[[Any], None]] | None = None,
        classifier: Callable[[Any], bool] | None = None,
    ) -> EffectRecorder:
        registry = HandlerRegistry(classifier=classifier)
        for name, handler in orderfsm_recorder.around(handlers or {}).items():
            registry.register(name, handler)
        Dispatcher(orderfsm_engine.db, registry).run_once()
        return orderfsm_recorder

    return dispatch
