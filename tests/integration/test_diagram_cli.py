"""``orderfsm diagram`` through click's runner: formats, files, --check, and --order on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click import ClickException
from click.testing import CliRunner, Result

from orderfsm.cli.diagram import diagram
from orderfsm.diagrams import dot_source, graph_from_lifecycle, mermaid_source
from orderfsm.diagrams.dot import SIGNALS_NODE, TAKEN_CLASS
from orderfsm.samples.builders import Item, OrderSketch
from orderfsm.service import Engine
from tests.support.cli_in_process import run_in_process
from tests.unit.diagrams.dotparse import parse, text_of

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def run(*args: str) -> Result:
    return CliRunner().invoke(diagram, list(args))


def test_mermaid_goes_to_stdout() -> None:
    result = run("--format", "mermaid")

    assert result.exit_code == 0, result.output
    assert result.stdout == mermaid_source(graph_from_lifecycle())


def test_the_format_is_inferred_from_the_output_suffix(tmp_path: Path) -> None:
    out = tmp_path / "lifecycle.dot"

    result = run("-o", str(out))

    assert result.exit_code == 0, result.output
    assert out.read_text() == dot_source(graph_from_lifecycle())


def test_an_output_suffix_it_cannot_draw_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    out = tmp_path / "lifecycle.pdf"

    result = run("-o", str(out))

    assert result.exit_code == 2
    assert "cannot draw .pdf files" in result.output and "--format" in result.output
    assert not out.exists()


@pytest.mark.requires_dot
def test_svg_is_drawn_by_dot_into_the_file(tmp_path: Path) -> None:
    out = tmp_path / "lifecycle.svg"

    result = run("-o", str(out))

    assert result.exit_code == 0, result.output
    assert out.read_text().lstrip().startswith("<?xml")


def test_png_needs_an_output_file() -> None:
    result = run("--format", "png")

    assert result.exit_code == 2
    assert "png is binary: write it to a file with -o FILE" in result.output


def test_without_dot_svg_fails_in_one_line_saying_how_to_install_graphviz(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    result = run("--format", "svg")

    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "apt-get install graphviz" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", ["lifecycle.mmd", "lifecycle.dot"])
def test_check_passes_a_fresh_file_and_fails_a_stale_one_with_a_diff(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    assert run("-o", str(path)).exit_code == 0

    fresh = run("--check", str(path))
    path.write_text(path.read_text().replace("await_payment", "await_money"))
    stale = run("--check", str(path))

    assert fresh.exit_code == 0, fresh.output
    assert "up to date" in fresh.output
    assert stale.exit_code == 1
    assert "-" in stale.stdout and "await_money" in stale.stdout
    assert "+" in stale.stdout and "await_payment" in stale.stdout
    assert len(stale.stdout.splitlines()) <= 42
    assert "out of date" in stale.stderr


@pytest.mark.requires_dot
def test_check_compares_an_svg_by_the_dot_source_it_embeds(tmp_path: Path) -> None:
    path = tmp_path / "lifecycle.svg"
    assert run("-o", str(path)).exit_code == 0
    fresh = run("--check", str(path))
    # A table change changes the embedded source even where the drawing looks alike.
    path.write_text(path.read_text().replace("fraud not blocked", "fraud not flagged"))

    stale = run("--check", str(path))

    assert fresh.exit_code == 0, fresh.output
    assert stale.exit_code == 1
    assert "fraud not flagged" in stale.stdout


def test_check_refuses_a_png(tmp_path: Path) -> None:
    path = tmp_path / "lifecycle.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n")

    result = run("--check", str(path))

    assert result.exit_code == 1
    assert "only .dot, .svg and .mmd files can be checked" in result.output


def accepted_then_fulfilled(db_url: str) -> None:
    o = OrderSketch("DR1", "CO1", "UP1", [Item("it-1", "sku-1", 1, 5.0, True)], ("ch-1",))
    with Engine.open(db_url, create_if_empty=True) as engine:
        engine.submit(o.upstream_id, o.checkout_id)
        for minutes, (event_type, state) in enumerate(
            [
                ("order.pending_payment", "pending_payment"),
                ("order.accepted", "accepted"),
                ("order.review_opened", "in_review"),  # late: stale
                ("order.fulfilled", "fulfilled"),
            ],
            start=1,
        ):
            at = T0 + timedelta(minutes=minutes)
            engine.apply_event(o.event(event_type, o.order(state, at), at))


def test_an_order_diagram_highlights_the_path_the_stored_order_took(sqlite_url: str) -> None:
    accepted_then_fulfilled(sqlite_url)

    result = run("--order", "UP1", "--db", sqlite_url, "--format", "dot")

    assert result.exit_code == 0, result.output
    dot = parse(result.stdout)
    taken = {
        e.attrs["id"].removeprefix("edge:")
        for e in dot.edges
        if e.attrs.get("class") == TAKEN_CLASS and e.attrs["id"].startswith("edge:")
    }
    assert taken == {
        "initial",
        "submitted:await_payment:pending_payment",
        "pending_payment:accept:accepted",
        "accepted:fulfil:fulfilled",
    }
    assert dot.node("fulfilled").attrs["penwidth"] == "3"
    assert "stale" in text_of(dot.node(SIGNALS_NODE).attrs["label"])


def test_an_unknown_order_is_one_clear_line(sqlite_url: str) -> None:
    with Engine.open(sqlite_url, create_if_empty=True):
        pass

    # Through the console entry point: what a user sees, as every command says it.
    ran = run_in_process("diagram", "--order", "NOPE", "--db", sqlite_url, "--format", "mermaid")

    assert ran.returncode == 1
    assert ran.stdout == ""
    assert ran.stderr.splitlines() == [
        "error: no order with upstream id, DR order id or checkout id 'NOPE'"
    ]


def test_a_stale_check_exits_1_even_when_the_group_runs_it_non_standalone(tmp_path: Path) -> None:
    path = tmp_path / "lifecycle.mmd"
    path.write_text("stateDiagram-v2\n")

    with pytest.raises(ClickException) as raised:
        diagram.main(["--check", str(path)], standalone_mode=False)

    assert raised.value.exit_code == 1
    assert "is out of date" in raised.value.message


@pytest.mark.parametrize(
    "command", [("diagram", "--format", "mermaid"), ("lifecycle", "export", "--json")]
)
def test_a_file_that_cannot_be_written_is_one_error_line_as_every_command_says_it(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    target = tmp_path / "no-such-dir" / "out.txt"

    ran = run_in_process(*command, "-o", str(target))

    assert ran.returncode == 1
    assert ran.stderr.splitlines() == [f"error: cannot write {target}: No such file or directory"]
    assert not target.parent.exists()
