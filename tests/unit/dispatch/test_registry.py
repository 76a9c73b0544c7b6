"""The handler registry: the vocabulary is enforced when a handler is registered."""

from __future__ import annotations

from typing import Any

import pytest

from orderfsm.dispatch import Effect, HandlerRegistry
from orderfsm.errors import EffectRegistrationError, OrderFsmError
from orderfsm.fsm.effects import EffectName


def noop(_effect: Effect[Any]) -> None:
    """A handler that does nothing."""


def test_a_name_outside_the_vocabulary_is_refused_when_registered() -> None:
    registry = HandlerRegistry()

    with pytest.raises(EffectRegistrationError, match="'send_invoice' is not an effect name"):
        registry.register("send_invoice", noop)
    assert len(registry) == 0


def test_the_decorator_refuses_an_unknown_name_before_any_function_is_given() -> None:
    registry = HandlerRegistry()

    with pytest.raises(EffectRegistrationError, match="request_shipping"):
        registry.handler("request_shipping")


def test_a_mapping_that_names_an_unknown_effect_is_refused() -> None:
    with pytest.raises(EffectRegistrationError, match="ship_it"):
        HandlerRegistry({EffectName.REQUEST_SHIPMENT: noop, "ship_it": noop})


def test_a_second_handler_for_the_same_effect_is_refused() -> None:
    registry = HandlerRegistry({EffectName.DELIVER_DIGITAL: noop})

    with pytest.raises(EffectRegistrationError, match="deliver_digital already has a handler"):
        registry.register("deliver_digital", noop)


def test_a_handler_that_is_not_callable_is_refused() -> None:
    with pytest.raises(EffectRegistrationError, match="not callable"):
        HandlerRegistry().register(EffectName.NOTIFY_ORDER_BLOCKED, "mailer")  # type: ignore[arg-type]


def test_registration_errors_are_orderfsm_errors() -> None:
    assert issubclass(EffectRegistrationError, OrderFsmError)


def test_the_decorator_registers_and_returns_the_function_unchanged() -> None:
    registry = HandlerRegistry()

    @registry.handler(EffectName.REQUEST_SHIPMENT)
    def ship(_effect: Effect[Any]) -> None:
        """Ship."""

    assert registry.get(EffectName.REQUEST_SHIPMENT) is ship
    assert registry.get(EffectName.DELIVER_DIGITAL) is None
    assert registry.names == {EffectName.REQUEST_SHIPMENT}
    assert ship.__doc__ == "Ship."


def test_names_given_as_their_string_values_are_accepted() -> None:
    registry = HandlerRegistry({"notify_order_cancelled": noop})

    assert EffectName.NOTIFY_ORDER_CANCELLED in registry
