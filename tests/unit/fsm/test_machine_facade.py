"""One ``transitions.Machine`` per process, shared by every order, behind a typed facade."""

from __future__ import annotations

import pytest

from orderfsm.fsm import (
    LIFECYCLE,
    Applied,
    Facts,
    InMemoryOrder,
    LifecycleMachine,
    OrderState,
    Refused,
    Trigger,
)
from orderfsm.fsm.signals import ChargeFact

S = OrderState
T = Trigger

AUTHORIZED = Facts(charges=(ChargeFact("ch_1", "capturable"),))


@pytest.fixture(scope="module")
def machine() -> LifecycleMachine:
    return LifecycleMachine()


def test_the_machine_is_built_without_a_model(machine: LifecycleMachine) -> None:
    assert machine.raw.models == []


def test_the_machine_has_no_automatic_to_state_events(machine: LifecycleMachine) -> None:
    assert machine.raw.auto_transitions is False
    assert [name for name in machine.raw.events if name.startswith("to_")] == []


def test_the_machine_events_are_exactly_the_tables_triggers(machine: LifecycleMachine) -> None:
    assert set(machine.raw.events) == {edge.trigger.value for edge in LIFECYCLE.edges()}


def test_firing_on_a_thousand_orders_adds_none_of_them_to_the_machine(
    machine: LifecycleMachine,
) -> None:
    orders = [InMemoryOrder() for _ in range(1000)]

    outcomes = [machine.fire(order, T.ACCEPT, AUTHORIZED) for order in orders]

    assert machine.raw.models == []
    assert all(isinstance(outcome, Applied) for outcome in outcomes)
    assert {order.state for order in orders} == {S.ACCEPTED}


def test_orders_sharing_the_machine_keep_their_own_state(machine: LifecycleMachine) -> None:
    orders = [InMemoryOrder() for _ in range(10)]

    for order in orders[::2]:
        machine.fire(order, T.OPEN_REVIEW)

    assert [order.state for order in orders] == [S.IN_REVIEW, S.SUBMITTED] * 5


@pytest.mark.parametrize(
    ("trigger", "walks", "expected"),
    [
        (T.AWAIT_PAYMENT, False, S.PENDING_PAYMENT),
        (T.LINK_DR_ORDER, False, S.SUBMITTED),
        (T.FULFIL, True, S.FULFILLED),
    ],
)
def test_an_orders_state_after_firing_is_an_order_state_member(
    machine: LifecycleMachine, trigger: Trigger, walks: bool, expected: OrderState
) -> None:
    order = InMemoryOrder()

    outcome = (machine.advance if walks else machine.fire)(order, trigger, AUTHORIZED)

    assert not isinstance(outcome, Refused), outcome
    assert type(order.state) is OrderState
    assert order.state is expected


class SlottedOrder:
    """Any object with a state and a dispute flag will do: no dataclass, no base class."""

    __slots__ = ("disputed", "state")

    def __init__(self) -> None:
        self.state = OrderState.SUBMITTED
        self.disputed = False


def test_the_machine_drives_any_object_with_a_state_and_a_dispute_flag(
    machine: LifecycleMachine,
) -> None:
    order = SlottedOrder()

    machine.advance(order, T.OPEN_DISPUTE, Facts(charges=AUTHORIZED.charges, dr_state="accepted"))

    assert (order.state, order.disputed) == (S.ACCEPTED, True)
    assert machine.raw.models == []


def test_outcomes_are_typed_values_not_booleans(machine: LifecycleMachine) -> None:
    applied = machine.fire(InMemoryOrder(), T.OPEN_REVIEW)
    refused = machine.fire(InMemoryOrder(), T.FULFIL)

    assert isinstance(applied, Applied)
    assert type(applied.source) is OrderState and type(applied.dest) is OrderState
    assert type(applied.trigger) is Trigger
    assert isinstance(refused, Refused)
    assert type(refused.state) is OrderState


def test_the_facade_answers_questions_about_the_table(machine: LifecycleMachine) -> None:
    assert machine.initial is S.SUBMITTED
    assert machine.is_terminal(S.CANCELLED) and not machine.is_terminal(S.COMPLETE)
    assert machine.destination(T.ACCEPT) is S.ACCEPTED
    assert machine.destination(T.LINK_DR_ORDER) is None
    assert set(machine.edges_from(S.FULFILLED)) == {
        edge.trigger for edge in LIFECYCLE.edges() if edge.source is S.FULFILLED
    }
    assert machine.edges_from(S.REJECTED) == {}
