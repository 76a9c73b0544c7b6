"""Opening a dispatcher as a host does (from orderfsm.Engine or a URL); whose classifier wins."""

from __future__ import annotations

from typing import Any

import pytest

import orderfsm
from orderfsm import ConfigurationError, Dispatcher, Effect, Engine, HandlerRegistry
from orderfsm.dispatch import deliver_unflagged_digitally, ship_unflagged
from orderfsm.fsm.effects import EffectName
from orderfsm.persistence import EffectStatus

from .support import accept, effects, sketch

E = EffectName


def _items_seen(registry: HandlerRegistry) -> dict[EffectName, list[str]]:
    seen: dict[EffectName, list[str]] = {E.REQUEST_SHIPMENT: [], E.DELIVER_DIGITAL: []}

    def record(effect: Effect[Any]) -> None:
        seen[effect.name] += [item.id for item in effect.payload.items]

    for name in seen:
        registry.register(name, record)
    return seen


def test_a_dispatcher_from_the_hosts_engine_delivers_its_outbox(engine: Engine) -> None:
    keys = accept(engine, sketch(1))
    registry = HandlerRegistry()
    seen = _items_seen(registry)

    report = orderfsm.Dispatcher.from_engine(engine, registry).run_once()

    assert report.done == 2
    assert seen == {E.REQUEST_SHIPMENT: ["it-1-0"], E.DELIVER_DIGITAL: ["it-1-1"]}
    statuses = {key: row.status for key, row in effects(engine).items() if key in keys}
    assert sorted(statuses.values()).count(EffectStatus.DONE) == 2


def test_the_orderfsm_engine_itself_is_accepted_where_a_database_is_expected(
    engine: Engine,
) -> None:
    accept(engine, sketch(1))
    registry = HandlerRegistry()
    seen = _items_seen(registry)

    Dispatcher(engine, registry).run_once()

    assert seen[E.REQUEST_SHIPMENT] == ["it-1-0"]


def test_a_dispatcher_opened_from_a_url_owns_and_closes_its_connections(
    engine: Engine, sqlite_url: str
) -> None:
    accept(engine, sketch(1))
    registry = HandlerRegistry()
    seen = _items_seen(registry)

    with Dispatcher.open(sqlite_url, registry) as dispatcher:
        assert dispatcher.run_once().done == 2
        opened, pool = dispatcher.db, dispatcher.db.pool

    assert seen[E.DELIVER_DIGITAL] == ["it-1-1"]
    assert opened is not engine.db
    assert opened.pool is not pool  # disposed: SQLAlchemy replaced its pool


def test_closing_a_dispatcher_on_the_hosts_engine_leaves_the_engine_open(engine: Engine) -> None:
    pool = engine.db.pool

    with Dispatcher.from_engine(engine, HandlerRegistry()):
        pass

    assert engine.db.pool is pool


def test_a_dispatcher_on_a_database_behind_the_schema_is_refused(tmp_path: Any) -> None:
    with pytest.raises(orderfsm.SchemaOutOfDate):
        Dispatcher.open(f"sqlite:///{tmp_path / 'empty.db'}", HandlerRegistry())


def test_anything_else_is_a_one_line_configuration_error() -> None:
    expected = r"needs an orderfsm\.Engine or a SQLAlchemy engine, not str$"
    with pytest.raises(ConfigurationError, match=expected):
        Dispatcher("sqlite:///shop.db", HandlerRegistry())  # type: ignore[arg-type]


UNFLAGGED = (None, None)


def test_the_dispatchers_classifier_wins_over_the_registrys(engine: Engine) -> None:
    accept(engine, sketch(1, physical=UNFLAGGED))
    registry = HandlerRegistry(classifier=ship_unflagged)
    seen = _items_seen(registry)

    Dispatcher.from_engine(engine, registry, classifier=deliver_unflagged_digitally).run_once()

    assert seen == {E.REQUEST_SHIPMENT: [], E.DELIVER_DIGITAL: ["it-1-0", "it-1-1"]}


def test_the_registrys_classifier_applies_when_the_dispatcher_has_none(engine: Engine) -> None:
    accept(engine, sketch(1, physical=UNFLAGGED))
    registry = HandlerRegistry(classifier=ship_unflagged)
    seen = _items_seen(registry)

    Dispatcher.from_engine(engine, registry).run_once()

    assert seen == {E.REQUEST_SHIPMENT: ["it-1-0", "it-1-1"], E.DELIVER_DIGITAL: []}
