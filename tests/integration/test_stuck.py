"""Deadlines in the lifecycle table, and the orders past them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orderfsm import Engine
from orderfsm.errors import ConfigurationError, InvalidDefinition
from orderfsm.fsm.checks import check_deadlines
from orderfsm.fsm.lifecycle import LIFECYCLE
from orderfsm.fsm.states import OrderState
from orderfsm.persistence.database import utcnow
from orderfsm.service.stuck import deadlines_with, stuck_orders


def test_the_table_gives_every_state_before_fulfilment_a_deadline() -> None:
    assert set(LIFECYCLE.deadlines) == {
        OrderState.SUBMITTED,
        OrderState.PENDING_PAYMENT,
        OrderState.IN_REVIEW,
        OrderState.ACCEPTED,
    }
    assert not set(LIFECYCLE.deadlines) & LIFECYCLE.terminal_states


@pytest.mark.parametrize(
    ("state", "wait", "says"),
    [
        (OrderState.CANCELLED, timedelta(hours=1), "only a live state"),
        (OrderState.SUBMITTED, timedelta(0), "must be positive"),
    ],
)
def test_the_static_checks_refuse_a_deadline_on_an_end_or_of_no_length(
    state: OrderState, wait: timedelta, says: str
) -> None:
    with pytest.raises(InvalidDefinition, match=says):
        check_deadlines(LIFECYCLE, {state: wait})
    with pytest.raises(ConfigurationError, match=says):
        deadlines_with({state: wait})


def test_an_order_left_in_submitted_past_its_deadline_is_stuck_and_a_host_may_wait_longer(
    db_url: str,
) -> None:
    with Engine.open(db_url, create_if_empty=True) as engine:
        engine.submit("SHOP-1", "chk-1")
        soon = list(stuck_orders(engine, clock=lambda: utcnow() + timedelta(minutes=1)))
        later = list(stuck_orders(engine, clock=lambda: utcnow() + timedelta(minutes=20)))
        patient = list(
            stuck_orders(
                engine,
                deadlines={OrderState.SUBMITTED: timedelta(hours=1)},
                clock=lambda: utcnow() + timedelta(minutes=20),
            )
        )

    assert soon == [] and patient == []
    (found,) = later
    assert (found.upstream_id, found.state, found.last_signal) == ("SHOP-1", "submitted", "submit")
    assert timedelta(minutes=19) < found.age < timedelta(minutes=21)
    assert found.deadline == LIFECYCLE.deadlines[OrderState.SUBMITTED]
