"""The stateful base catches broken handlers and shrinks them to short examples.

Three handlers a backend might really write: one that ships when the shopper
is only told how to pay, one that mails a confirmation each time it is handed
the effect (the mail service does not deduplicate, so a repeat mails again),
and one that returns success without calling the warehouse for multi-line
orders (the outbox says done; nothing was shipped).
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

HUNT_TIMEOUT_S = 1200
"""pytest-timeout's guard here (the suite's is 300 s): each test is fixed work (a
derandomized hunt, then its shrinking), and the longest took 224 s at a load
average near 20 on 2 cores."""
pytestmark = pytest.mark.timeout(HUNT_TIMEOUT_S)

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
    """Sends every mail it is asked to send; the reference is only a header, not a dedupe key."""

    def __init__(self) -> None:
        self.mails: list[tuple[str, str, str]] = []

    def send(self, order: str, subject: str, reference: str) -> None:
        self.mails.append((order, subject, reference))


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
            # The bug: nothing checks whether this effect was mailed already.
            self.mailer.send(effect.upstream_id, "Your order is confirmed", effect.key)

        return {EffectName.SEND_ORDER_CONFIRMATION: confirm}

    def classifier(self) -> Classifier:
        return lambda item: True

    def sent(self) -> Sequence[Sent]:
        return [
            Sent(EffectName.SEND_ORDER_CONFIRMATION, reference, order)
            for order, _, reference in self.mailer.mails
        ]


class SkipsMultiLineShipments(OrderLifecycleMachine):
    def handlers(self) -> Mapping[EffectName, Handler]:
        self.warehouse = FakeWarehouse()

        def ship(effect: Any) -> None:
            if len(effect.payload.items) > 1:
                return  # the bug: reported as handled, but the warehouse never hears of it
            self.warehouse.ship(effect.upstream_id, effect.key)

        return {EffectName.REQUEST_SHIPMENT: ship}

    def classifier(self) -> Classifier:
        return lambda item: True

    def sent(self) -> Sequence[Sent]:
        return [
            Sent(EffectName.REQUEST_SHIPMENT, key, order)
            for key, order in self.warehouse.shipments.items()
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
        AssertionError,
        match=r"send_order_confirmation for order \S+ \(key '\S+'\) delivered 2 times; "
        "expected at most once",
    ) as failure:
        run_state_machine_as_test(MailsAgainWhenHandedAgain, settings=HUNT)

    steps = shrunk_steps(failure.value)
    print("\n".join(failure.value.__notes__))
    assert 1 <= len(steps) <= 5, steps


def test_a_handler_that_silently_skips_multi_line_shipments_is_caught_and_shrunk() -> None:
    with pytest.raises(
        AssertionError,
        match=r"request_shipment for order \S+ \(key '\S+:accepted:request_shipment'\) is done "
        r"in the outbox but was never performed: expected at least 1 in sent\(\), saw 0",
    ) as failure:
        run_state_machine_as_test(SkipsMultiLineShipments, settings=HUNT)

    steps = shrunk_steps(failure.value)
    print("\n".join(failure.value.__notes__))
    assert 1 <= len(steps) <= 4, steps
    # The shrunk history is the simplest that has the bug: one order of two lines.
    assert "items=(ItemKind.PHYSICAL, ItemKind.PHYSICAL)" in steps[0], steps
