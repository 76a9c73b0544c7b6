"""Each live state's deadline is drawn in it (DOT, SVG, Mermaid; lifecycle and one order's path)."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from orderfsm.cli.diagram import diagram
from orderfsm.diagrams import (
    DiagramError,
    dot_source,
    graph_from_lifecycle,
    mermaid_source,
    order_path,
    render,
)
from orderfsm.diagrams.graph import human_duration
from orderfsm.fsm.lifecycle import DEADLINES, LIFECYCLE
from orderfsm.fsm.states import OrderState
from tests.unit.diagrams.dotparse import html, parse
from tests.unit.diagrams.support import accepted_then_fulfilled

SVG = "{http://www.w3.org/2000/svg}"


def deadline_cells(source: str) -> dict[str, str]:
    """Each node's deadline cell text, by node name (from the DOT source's labels)."""
    found = {}
    for node in parse(source).nodes:
        label = node.attrs.get("label", "")
        if not label.startswith("<"):
            continue
        for cell in html(label).iter("TD"):
            if cell.get("ID", "").startswith("deadline:"):
                found[node.name] = " ".join("".join(cell.itertext()).split())
    return found


@pytest.mark.parametrize(
    ("wait", "text"),
    [
        (timedelta(minutes=15), "15m"),
        (timedelta(days=7), "7d"),
        (timedelta(hours=72), "3d"),
        (timedelta(minutes=90), "1h 30m"),
        (timedelta(seconds=45), "45s"),
    ],
)
def test_durations_read_as_people_write_them(wait: timedelta, text: str) -> None:
    assert human_duration(wait) == text


def test_every_live_state_with_a_deadline_shows_it_and_no_other_state_does() -> None:
    cells = deadline_cells(dot_source(graph_from_lifecycle()))

    assert cells == {
        state.value: f"◷ stuck after {human_duration(wait)}" for state, wait in DEADLINES.items()
    }
    assert cells["submitted"] == "◷ stuck after 15m"
    assert not {s.state.value for s in LIFECYCLE.states if s.state not in DEADLINES} & set(cells)


def test_mermaid_lists_each_deadline_inside_its_state() -> None:
    lines = mermaid_source(graph_from_lifecycle()).splitlines()

    assert "    submitted : ◷ stuck after 15m" in lines
    assert "    pending_payment : ◷ stuck after 7d" in lines
    assert not any(line.startswith("    fulfilled : ◷") for line in lines)


def test_a_hosts_deadlines_replace_the_tables_in_the_picture() -> None:
    graph = graph_from_lifecycle(deadlines={OrderState.ACCEPTED: timedelta(days=2)})

    assert deadline_cells(dot_source(graph))["accepted"] == "◷ stuck after 2d"
    assert deadline_cells(dot_source(graph))["submitted"] == "◷ stuck after 15m"


def test_a_deadline_on_a_terminal_state_is_refused() -> None:
    with pytest.raises(DiagramError, match="only a live state can be stuck"):
        graph_from_lifecycle(deadlines={OrderState.CANCELLED: timedelta(days=1)})


def test_an_orders_path_shows_the_deadlines_too() -> None:
    path = order_path(accepted_then_fulfilled(), "fulfilled", graph=graph_from_lifecycle())

    assert deadline_cells(dot_source(path))["in_review"] == "◷ stuck after 3d"
    assert "    accepted : ◷ stuck after 5d" in mermaid_source(path).splitlines()


def test_the_diagram_command_takes_a_hosts_deadline() -> None:
    result = CliRunner().invoke(diagram, ["--format", "mermaid", "--deadline", "submitted=30m"])

    assert result.exit_code == 0, result.output
    assert "    submitted : ◷ stuck after 30m" in result.stdout.splitlines()


def test_the_diagram_command_refuses_a_deadline_for_an_unknown_state() -> None:
    result = CliRunner().invoke(diagram, ["--format", "dot", "--deadline", "shipped=30m"])

    assert result.exit_code != 0
    assert "--deadline" in str(result.exception or result.output)


@pytest.mark.requires_dot
def test_the_rendered_svg_writes_each_deadline_in_its_state() -> None:
    root = ElementTree.fromstring(render(graph_from_lifecycle(), "svg"))
    nodes = {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("class") == "node"}

    texts = [t.text for t in nodes["state:submitted"].iter(f"{SVG}text")]

    assert "◷ stuck after 15m" in texts
