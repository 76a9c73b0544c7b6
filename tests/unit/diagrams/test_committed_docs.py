"""docs/lifecycle.svg and docs/lifecycle.mmd match the table: a lifecycle change is a diagram diff.

The SVG is compared through the DOT source it embeds (see orderfsm.diagrams.files),
so this needs no ``dot`` and does not depend on the Graphviz version or fonts.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from orderfsm.diagrams import diff_graphs, graph_from_lifecycle, mermaid_source, stale_diff
from orderfsm.diagrams.export import dumps, lifecycle_document, load_lifecycle_file
from orderfsm.fsm.lifecycle import LIFECYCLE

ROOT = Path(__file__).parents[3]
DOCS = ROOT / "docs"


@pytest.mark.parametrize("name", ["lifecycle.svg", "lifecycle.mmd"])
def test_the_committed_diagram_is_up_to_date(name: str) -> None:
    diff = stale_diff(DOCS / name, graph_from_lifecycle())

    assert diff == [], "\n".join([*diff, f"regenerate it: orderfsm diagram -o docs/{name}"])


def test_the_committed_svg_is_a_drawing_of_every_state() -> None:
    root = ElementTree.parse(DOCS / "lifecycle.svg").getroot()
    ids = {g.get("id") for g in root.iter("{http://www.w3.org/2000/svg}g")}

    assert {f"state:{spec.state.value}" for spec in LIFECYCLE.states} <= ids


def test_every_mermaid_block_of_the_readme_is_the_lifecycle_now() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```mermaid\n(.*?)^```", readme, re.MULTILINE | re.DOTALL)

    stale = [b for b in blocks if b != mermaid_source(graph_from_lifecycle())]
    assert stale == [], "README's Mermaid block is stale: paste docs/lifecycle.mmd into it"


def test_the_committed_lifecycle_export_is_the_table_now() -> None:
    committed = (DOCS / "lifecycle.json").read_text(encoding="utf-8")

    assert committed == dumps(lifecycle_document()), (
        "docs/lifecycle.json is stale: orderfsm lifecycle export --json -o docs/lifecycle.json"
    )


def test_the_readmes_diff_example_base_is_a_lifecycle_document_this_version_reads() -> None:
    graph = load_lifecycle_file(DOCS / "examples" / "lifecycle-before.json")

    summary = diff_graphs(graph, graph_from_lifecycle(), "before").summary()

    assert "- `+ edge accepted --report_fulfillment--> accepted (internal)`" in summary
    assert "- `- edge in_review --reject_payment--> rejected`" in summary
