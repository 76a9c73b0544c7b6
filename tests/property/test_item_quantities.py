"""Any sequence of fulfil/cancel commands keeps, per item, fulfilled + cancelled <= ordered.

Through the engine on a real SQLite file: each example accepts an order with
drawn quantities, then applies drawn reports (ships, cancels, mixed lines,
unknown items, full cancellations). What the engine stores must match a
plain model that accepts a report only when every item stays within what
is open, and exactly one ``report_fulfillment`` effect exists per accepted
report.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderfsm import Engine
from orderfsm.fsm.effects import EffectName
from orderfsm.fsm.items import ItemReport
from orderfsm.fsm.outcomes import Outcome
from orderfsm.samples.builders import Item, OrderSketch

ITEM_IDS = ("it-a", "it-b", "it-c")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
_DB = itertools.count()

lines = st.builds(
    ItemReport,
    item_id=st.sampled_from((*ITEM_IDS, "it-unknown")),
    quantity=st.integers(0, 3),
    cancel_quantity=st.integers(0, 3),
).filter(lambda line: line.quantity + line.cancel_quantity > 0)
commands = st.one_of(st.just("cancel-all"), st.lists(lines, min_size=1, max_size=3))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ordered=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    sequence=st.lists(commands, max_size=8),
)
def test_fulfilled_plus_cancelled_never_exceeds_ordered(
    tmp_path: Path, ordered: list[int], sequence: list[object]
) -> None:
    items = [Item(ITEM_IDS[i], f"sku-{i}", quantity=q) for i, q in enumerate(ordered)]
    sketch = OrderSketch("DR1", "CO1", "SHOP-1", items)
    url = f"sqlite:///{tmp_path / f'q{next(_DB)}.db'}"
    with Engine.open(url, create_if_empty=True) as engine:
        engine.submit("SHOP-1", "CO1")
        engine.record_create_order_response(
            "SHOP-1", 201, sketch.order("accepted", T0, fraud_state="passed")
        )
        model = {item.id: [item.quantity, 0, 0] for item in items}
        accepted = 0
        for command in sequence:
            if command == "cancel-all":
                result = engine.cancel_everything_open("SHOP-1")
                fits = any(o - f - c > 0 for o, f, c in model.values())
                if fits:
                    for line in model.values():
                        line[2] += line[0] - line[1] - line[2]
            else:
                assert isinstance(command, list)
                result = engine.report_fulfilment("SHOP-1", command)
                asked: dict[str, int] = {}
                for line in command:
                    asked[line.item_id] = (
                        asked.get(line.item_id, 0) + line.quantity + line.cancel_quantity
                    )
                fits = all(
                    i in model and n <= model[i][0] - model[i][1] - model[i][2]
                    for i, n in asked.items()
                )
                if fits:
                    for line in command:
                        model[line.item_id][1] += line.quantity
                        model[line.item_id][2] += line.cancel_quantity
            assert result.outcome is (Outcome.APPLIED if fits else Outcome.REFUSED)
            accepted += fits

        view = engine.show("SHOP-1")
    stored = {i.item_id: [i.ordered, i.fulfilled, i.cancelled] for i in view.items}
    assert stored == model
    assert all(f + c <= o for o, f, c in stored.values())
    reports = [e for e in view.effects if e.type == EffectName.REPORT_FULFILLMENT]
    assert len(reports) == accepted
