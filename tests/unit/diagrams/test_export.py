"""``lifecycle export --json``: a stable, versioned document that loads back into the same graph."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from orderfsm.cli.lifecycle import lifecycle
from orderfsm.diagrams import DiagramError, graph_from_lifecycle
from orderfsm.diagrams.export import (
    FORMAT,
    dumps,
    lifecycle_document,
    load_lifecycle,
    load_lifecycle_file,
)
from orderfsm.fsm.lifecycle import LIFECYCLE


def exported() -> dict[str, Any]:
    result = CliRunner().invoke(lifecycle, ["export", "--json"])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_export_then_load_gives_the_same_graph() -> None:
    text = CliRunner().invoke(lifecycle, ["export", "--json"]).stdout

    loaded = load_lifecycle(text, source="export")

    graph = graph_from_lifecycle()
    assert loaded.states == graph.states
    assert sorted(loaded.edges, key=lambda e: e.key) == sorted(graph.edges, key=lambda e: e.key)
    assert dumps(lifecycle_document()) == text


def test_the_document_is_versioned_and_holds_every_state_and_edge() -> None:
    document = exported()

    assert document["format"] == FORMAT == "orderfsm-lifecycle/1"
    assert [s["name"] for s in document["states"]] == [s.state.value for s in LIFECYCLE.states]
    assert len(document["edges"]) == len(list(LIFECYCLE.edges()))
    submitted = document["states"][0]
    assert submitted["kind"] == "initial" and submitted["deadlineSeconds"] == 900
    accepted = next(s for s in document["states"] if s["name"] == "accepted")
    assert {"effect": "request_shipment", "when": "physical items"} in accepted["entryEffects"]
    internal = [e for e in document["edges"] if e["internal"]]
    assert internal and all(e["source"] == e["target"] for e in internal)


def test_the_text_is_stable_sorted_keys_and_edges_by_source_trigger_target() -> None:
    text = CliRunner().invoke(lifecycle, ["export", "--json"]).stdout
    document = json.loads(text)
    place = {s["name"]: at for at, s in enumerate(document["states"])}

    keys = [(place[e["source"]], e["trigger"], e["target"]) for e in document["edges"]]

    assert keys == sorted(keys)
    assert text == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert CliRunner().invoke(lifecycle, ["export"]).stdout == text


def test_export_writes_a_file_with_a_hosts_deadlines(tmp_path: Path) -> None:
    out = tmp_path / "lifecycle.json"

    result = CliRunner().invoke(
        lifecycle, ["export", "--json", "-o", str(out), "--deadline", "accepted=2d"]
    )

    assert result.exit_code == 0, result.output
    states = {s["name"]: s for s in json.loads(out.read_text())["states"]}
    assert states["accepted"]["deadlineSeconds"] == 2 * 86_400
    assert [p.name for p in tmp_path.iterdir()] == ["lifecycle.json"]


def test_extra_keys_are_ignored_so_a_later_version_can_add_some() -> None:
    document = exported()
    document["generatedBy"] = "a later orderfsm"
    document["states"][0]["colour"] = "blue"

    loaded = load_lifecycle(json.dumps(document), source="later.json")

    assert loaded.states == graph_from_lifecycle().states


def _broken(change: str) -> str:
    document = exported()
    if change == "format":
        document["format"] = "orderfsm-lifecycle/2"
    elif change == "no format":
        del document["format"]
    elif change == "band":
        document["states"][3]["band"] = "limbo"
    elif change == "deadline":
        document["states"][0]["deadlineSeconds"] = -5
    elif change == "unknown state":
        document["edges"][0]["target"] = "shipped"
    elif change == "internal":
        edge = next(e for e in document["edges"] if e["internal"])
        edge["target"] = "cancelled"
    elif change == "twice":
        document["edges"].append(document["edges"][0])
    elif change == "control character":
        document["edges"][0]["guards"] = ["paid\x1b[31m"]
    elif change == "bad name":
        document["states"][1]["name"] = "pending payment"
    elif change == "state twice":
        document["states"].append(document["states"][0])
    return json.dumps(document)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("format", "is format 'orderfsm-lifecycle/2': this orderfsm reads 'orderfsm-lifecycle/1'"),
        ("no format", "has no format"),
        ("band", "states.3.band: Input should be"),
        ("deadline", "states.0.deadlineSeconds: Input should be greater than 0"),
        ("unknown state", "'shipped' is not one of the document's states"),
        ("internal", "an internal edge ends where it starts"),
        ("twice", "is declared twice"),
        ("state twice", "state 'submitted' is declared twice"),
        ("bad name", "states.1.name: String should match pattern"),
        ("control character", "edges.0.guards.0: String should match pattern"),
    ],
)
def test_a_bad_document_is_one_line_naming_the_file_and_the_place(
    tmp_path: Path, change: str, message: str
) -> None:
    path = tmp_path / "base.json"
    path.write_text(_broken(change))

    with pytest.raises(DiagramError) as raised:
        load_lifecycle_file(path)

    text = str(raised.value)
    assert text.startswith(str(path)) and message in text, text
    assert "\n" not in text


@pytest.mark.parametrize("change", ["unknown state", "internal", "twice"])
def test_a_bad_edge_is_named_by_its_trigger_and_states_as_well_as_its_index(
    tmp_path: Path, change: str
) -> None:
    path = tmp_path / "base.json"
    path.write_text(_broken(change))
    document = json.loads(path.read_text())
    at, edge = next(
        (at, edge)
        for at, edge in enumerate(document["edges"])
        if (change == "unknown state" and edge["target"] == "shipped")
        or (change == "internal" and edge["internal"] and edge["target"] != edge["source"])
        or (change == "twice" and at == len(document["edges"]) - 1)
    )

    with pytest.raises(DiagramError) as raised:
        load_lifecycle_file(path)

    named = f"edges.{at} ({edge['trigger']} from {edge['source']!r} to {edge['target']!r}): "
    assert f"{path}: {named}" in str(raised.value), str(raised.value)


def test_a_file_that_is_not_json_or_not_there_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")

    with pytest.raises(DiagramError, match=r"bad.json is not JSON"):
        load_lifecycle_file(bad)
    with pytest.raises(DiagramError, match=r"cannot read .*missing.json"):
        load_lifecycle_file(tmp_path / "missing.json")
