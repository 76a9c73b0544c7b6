"""The stateful base catches broken handlers and shrinks them to short examples.

Two handlers a backend might really write: one that ships when the shopper is
only told how to pay, and one that mails a confirmation each time it is handed
the effect (it does not pass the idempotency key on, so a repeat mails again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from orderfsm.dispatch import Classifier, Handler
from orderfsm.fsm.effects import EffectName
from orderfsm.testing.recorder import Sent
from orderfsm.testing.stateful import OrderLifecycleMachine

HUNT = settings(
    max_examples=300,
    stateful_step_count=12,
    report_multiple_bugs=False,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)


class FakeWarehouse:
    """Ships once per idempotency key, as a real warehouse API with idempotency keys does."""

    def __init__(self) -> None:
        self.shipments: dict[str, str] = {}

    def ship(self, order: str, key: str) -> None:
        self.shipments.setdefault(key, order)


class FakeMailer:
    """Sends every mail it is asked to send."""

    def __init__(self) -> None:
        self.mails: list[tuple[str, str]] = []

    def send(self, order: str, subject: str) -> None:
        self.mails.append((order, subject))


class ShipsWhenPaymentInstructionsGoOut(OrderLifecycleMachine):
    def handlers(self) -> Mapping[EffectName, Handler]:
        self.warehouse = FakeWarehouse()

        def instruct(effect: Any) -> None:
            # The bug: stock is shipped as soon as the shopper is told how to pay.
            self.warehouse.ship(effect.upstream_id, effect.key)

        def ship(effect: Any) -> None:
            self.warehouse.ship(effect.upstream_id, effect.key)

        return {EffectName.SEND_PAYMENT_INSTRUCTIONS: instruct, EffectName.REQUEST_SHIPMENT: ship}

    def classifier(self) -> Classifier:
        return lambda item: True

    def sent(self) -> Sequence[Sent]:
        return [
            Sent(EffectName.REQUEST_SHIPMENT, key, order)
            for key, order in self.warehouse.shipments.items()
        ]


class MailsAgainWhenHandedAgain(OrderLifecycleMachine):
    def handlers(self) -> Mapping[EffectName, Handler]:
        self.mailer = FakeMailer()

        def confirm(effect: Any) -> None:
            # The bug: the idempotency key is not passed on, so a repeat mails again.
            self.mailer.send(effect.upstream_id, "Your order is confirmed")

        return {EffectName.SEND_ORDER_CONFIRMATION: confirm}

    def classifier(self) -> Classifier:
        return lambda item: True

    def sent(self) -> Sequence[Sent]:
        return [
            Sent(EffectName.SEND_ORDER_CONFIRMATION, f"mail-{n}", order)
            for n, (order, _) in enumerate(self.mailer.mails)
        ]


def shrunk_steps(failure: BaseException) -> list[str]:
    """The steps of the falsifying example hypothesis reports."""
    notes = "\n".join(getattr(failure, "__notes__", []))
    checks = ("state.teardown()", "state.lifecycle_promises_hold()")
    return [line for line in notes.splitlines() if line.startswith("state.") and line not in checks]


def test_a_handler_that_ships_on_pending_payment_is_caught_and_shrunk() -> None:
    with pytest.raises(
        AssertionError,
        match=r"request_shipment (for order .* never reached accepted|delivered 2 times)",
    ) as failure:
        run_state_machine_as_test(ShipsWhenPaymentInstructionsGoOut, settings=HUNT)

    steps = shrunk_steps(failure.value)
    print("\n".join(failure.value.__notes__))
    assert 1 <= len(steps) <= 4, steps


def test_a_handler_that_confirms_twice_when_handed_an_effect_again_is_caught_and_shrunk() -> None:
    with pytest.raises(
        AssertionError, match="send_order_confirmation delivered 2 times"
    ) as failure:
        run_state_machine_as_test(MailsAgainWhenHandedAgain, settings=HUNT)

    steps = shrunk_steps(failure.value)
    print("\n".join(failure.value.__notes__))
    assert 1 <= len(steps) <= 5, steps
