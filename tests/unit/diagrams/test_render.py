"""SVG and PNG through the real ``dot``: skipped visibly without it, failing under CI=true."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest

from orderfsm.diagrams import DiagramError, dot_source, graph_from_lifecycle, order_path, render
from orderfsm.diagrams.dot import embedded_source
from orderfsm.fsm.lifecycle import LIFECYCLE
from tests.unit.diagrams.support import accepted_then_fulfilled

SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(svg: bytes) -> list[str]:
    root = ElementTree.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{SVG}text")]


@pytest.mark.requires_dot
def test_the_svg_parses_as_xml_and_names_every_state() -> None:

    svg = render(graph_from_lifecycle(), "svg")

    root = ElementTree.fromstring(svg)
    nodes = {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("class") == "node"}
    for spec in LIFECYCLE.states:
        node = nodes[f"state:{spec.state.value}"]
        first_text = next(node.iter(f"{SVG}text")).text
        assert first_text == spec.state.value


@pytest.mark.requires_dot
def test_the_svg_embeds_the_dot_source_it_was_drawn_from() -> None:
    graph = graph_from_lifecycle()

    assert embedded_source(render(graph, "svg")) == dot_source(graph)


@pytest.mark.requires_dot
def test_an_order_svg_shows_its_title_and_signals() -> None:

    svg = render(order_path(accepted_then_fulfilled(), "fulfilled", title="order UP1"), "svg")

    texts = svg_texts(svg)
    assert "order UP1" in texts
    assert any(t.startswith("7. await_payment") for t in texts)


@pytest.mark.requires_dot
def test_the_png_is_a_png() -> None:

    assert render(graph_from_lifecycle(), "png").startswith(b"\x89PNG\r\n\x1a\n")


def test_without_dot_rendering_says_how_to_install_graphviz(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(DiagramError, match=r"apt-get install graphviz.*brew install graphviz"):
        render(graph_from_lifecycle(), "svg")


def test_an_svg_without_embedded_source_has_none() -> None:
    assert embedded_source(b'<svg xmlns="http://www.w3.org/2000/svg"/>') is None
    assert embedded_source(b"not xml") is None
