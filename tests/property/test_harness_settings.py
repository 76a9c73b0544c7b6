"""Settings of harness machines: each subclass can be decorated, and inherits what it extends.

hypothesis refuses a second ``@settings`` on one machine class; a subclass of
a decorated machine is a class of its own and may carry its own decorator.
"""

from __future__ import annotations

import sys

import pytest
from hypothesis import Phase, settings
from hypothesis.errors import InvalidArgument

from orderfsm.dispatch import Classifier
from orderfsm.testing import OrderLifecycleMachine, harness_settings


@harness_settings(max_examples=25, stateful_step_count=9)
class Shipping(OrderLifecycleMachine):
    """Stands for a backend's machine, decorated as docs/testing.md shows."""

    def classifier(self) -> Classifier:
        return lambda item: "digital" not in (item.sku_id or "")


@harness_settings(max_examples=3)
class QuickShipping(Shipping):
    """A quicker variant of it for a pre-commit hook."""


class SameShipping(Shipping):
    """Extends it with nothing but rules or invariants of its own."""


@harness_settings(Shipping.TestCase.settings, max_examples=2)
class SameStepsFewerExamples(Shipping):
    """Changes one value and keeps the others of the machine it extends."""


def test_a_subclass_of_a_decorated_machine_can_be_decorated_and_its_settings_win() -> None:
    quick = QuickShipping.TestCase.settings

    assert quick.max_examples == 3
    assert Shipping.TestCase.settings.max_examples == 25  # the parent is untouched


def test_a_decorated_subclass_keeps_the_harness_defaults() -> None:
    quick = QuickShipping.TestCase.settings

    assert quick.deadline is None
    assert Phase.explain not in quick.phases


def test_an_undecorated_subclass_runs_with_the_settings_of_the_machine_it_extends() -> None:
    same = SameShipping.TestCase.settings

    assert (same.max_examples, same.stateful_step_count) == (25, 9)


def test_harness_settings_given_a_parent_changes_only_what_it_names() -> None:
    fewer = SameStepsFewerExamples.TestCase.settings

    assert (fewer.max_examples, fewer.stateful_step_count) == (2, 9)
    assert fewer.deadline is None


def test_an_undecorated_direct_subclass_gets_the_harness_defaults() -> None:
    class Plain(OrderLifecycleMachine):
        pass

    assert Plain.TestCase.settings.deadline is None
    assert Phase.explain not in Plain.TestCase.settings.phases


def test_decorating_one_machine_twice_is_still_refused() -> None:
    class Twice(OrderLifecycleMachine):
        pass

    harness_settings(max_examples=5)(Twice)

    with pytest.raises(InvalidArgument, match="twice"):
        settings(max_examples=6)(Twice)


def test_the_subclass_settings_are_the_ones_a_run_uses() -> None:
    completed: list[int] = []
    discarded: list[int] = []

    @harness_settings(max_examples=2, stateful_step_count=3, phases=[Phase.generate], database=None)
    class Counted(QuickShipping):
        def teardown(self) -> None:
            # hypothesis tears down in a ``finally``: a run it discards (an
            # overrun or rejected draw) arrives here with that exception in
            # flight, and max_examples counts only the runs that completed.
            (discarded if sys.exc_info()[0] is not None else completed).append(self.run)
            super().teardown()

    Counted.TestCase("runTest").runTest()

    assert len(completed) == 2, (completed, discarded)
