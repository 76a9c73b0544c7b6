"""docs/lifecycle.svg and docs/lifecycle.mmd match the table: a lifecycle change is a diagram diff.

The SVG is compared through the DOT source it embeds (see orderfsm.diagrams.files),
so this needs no ``dot`` and does not depend on the Graphviz version or fonts.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest

from orderfsm.diagrams import graph_from_lifecycle, stale_diff
from orderfsm.fsm.lifecycle import LIFECYCLE

DOCS = Path(__file__).parents[3] / "docs"


@pytest.mark.parametrize("name", ["lifecycle.svg", "lifecycle.mmd"])
def test_the_committed_diagram_is_up_to_date(name: str) -> None:
    diff = stale_diff(DOCS / name, graph_from_lifecycle())

    assert diff == [], "\n".join([*diff, f"regenerate it: orderfsm diagram -o docs/{name}"])


def test_the_committed_svg_is_a_drawing_of_every_state() -> None:
    root = ElementTree.parse(DOCS / "lifecycle.svg").getroot()
    ids = {g.get("id") for g in root.iter("{http://www.w3.org/2000/svg}g")}

    assert {f"state:{spec.state.value}" for spec in LIFECYCLE.states} <= ids
