"""What `orderfsm fulfil` and `orderfsm cancel` share: ITEM_ID=QTY read, the result printed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from orderfsm.cli.text import plain

if TYPE_CHECKING:
    from orderfsm.fsm.items import ItemReport
    from orderfsm.service.results import ApplyResult


def parse_items(values: Sequence[str], *, cancelling: bool) -> list[ItemReport]:
    """``ITEM_ID=QTY`` arguments as report lines (shipped, or cancelled when ``cancelling``)."""
    from orderfsm.fsm.items import ItemReport

    lines = []
    for value in values:
        item_id, sep, quantity = value.rpartition("=")
        whole = quantity.isascii() and quantity.isdigit()  # "²" passes isdigit(), not int()
        if not sep or not item_id or not whole or int(quantity) < 1:
            raise click.BadParameter(
                f"{value!r}: expected ITEM_ID=QTY with a quantity of at least 1",
                param_hint="'ITEM_ID=QTY'",
            )
        qty = int(quantity)
        lines.append(ItemReport(item_id, 0, qty) if cancelling else ItemReport(item_id, qty, 0))
    return lines


def echo_result(result: ApplyResult, what: str) -> None:
    """One line: what was recorded, or exit 1 with the lifecycle's reason for refusing it."""
    from rich.console import Console

    from orderfsm.fsm.outcomes import Outcome

    if result.outcome is not Outcome.APPLIED:
        raise click.ClickException(
            f"{result.upstream_id}: {what} not recorded ({result.outcome}): {result.reason}"
        )
    keys = ", ".join(result.effect_keys)
    line = f"{result.upstream_id}: {what} recorded; DR is told by the worker ({keys})"
    Console(highlight=False).print(plain(line), soft_wrap=True)
