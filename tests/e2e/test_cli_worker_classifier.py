"""``orderfsm worker --classifier``: items DR sent without a physical flag, settled from the CLI.

DR's events carry ``physical`` only when expanded; the orders here leave it
out, as a real webhook does, so request_shipment and deliver_digital need a
classifier to know which items are theirs.
"""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from orderfsm.adapters.handlers import read_jsonl
from orderfsm.cli import cli
from orderfsm.journal import apply_journal
from orderfsm.samples.builders import Item, OrderSketch
from orderfsm.service import Engine

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SHIP = "SHOP-1:accepted:request_shipment"
DOWNLOAD = "SHOP-1:accepted:deliver_digital"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"}, catch_exceptions=False)


@pytest.fixture
def shop(tmp_path: Path) -> str:
    """One accepted order of a book and an e-book, neither flagged physical or not."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    o = OrderSketch(
        "DR1", "CO1", "SHOP-1", [Item("it-1", "book", 1, 20.0), Item("it-2", "ebook", 1, 9.0)]
    )
    accepted = o.order("accepted", T0 + timedelta(minutes=1), fraud_state="passed")
    lines = [o.submit(), o.response(201, accepted), o.event("order.accepted", accepted, T0)]
    with Engine.open(url, create_if_empty=True) as engine:
        report = apply_journal(engine, (("j", n, json.dumps(x)) for n, x in enumerate(lines)))
    assert report.ok, report.errors
    return url


def effects(url: str) -> dict[str, dict[str, object]]:
    done = invoke("effects", "--db", url, "--json")
    assert done.exit_code == 0, done.output
    return {row["key"]: row for row in map(json.loads, done.output.splitlines())}


def delivered(sink: Path) -> dict[str, list[str]]:
    return {
        line["key"]: [item["id"] for item in line["payload"]["items"]]
        for line in read_jsonl(sink)
        if line["key"] in (SHIP, DOWNLOAD)
    }


def test_without_a_classifier_unflagged_items_leave_both_effects_dead(
    shop: str, tmp_path: Path
) -> None:
    done = invoke("worker", "--db", shop, "--once", "--sink", f"jsonl:{tmp_path / 'out.jsonl'}")

    assert done.exit_code == 0, done.output
    rows = effects(shop)
    assert rows[SHIP]["status"] == rows[DOWNLOAD]["status"] == "dead"
    assert "no classifier is configured" in str(rows[SHIP]["lastError"])


def test_classifier_physical_ships_every_unflagged_item(shop: str, tmp_path: Path) -> None:
    sink = tmp_path / "out.jsonl"
    done = invoke(
        "worker", "--db", shop, "--once", "--classifier", "physical", "--sink", f"jsonl:{sink}"
    )

    assert done.exit_code == 0, done.output
    assert delivered(sink) == {SHIP: ["it-1", "it-2"]}
    rows = effects(shop)
    assert rows[SHIP]["status"] == rows[DOWNLOAD]["status"] == "done"


def test_classifier_digital_delivers_every_unflagged_item_digitally(
    shop: str, tmp_path: Path
) -> None:
    sink = tmp_path / "out.jsonl"
    done = invoke(
        "worker", "--db", shop, "--once", "--classifier", "digital", "--sink", f"jsonl:{sink}"
    )

    assert done.exit_code == 0, done.output
    assert delivered(sink) == {DOWNLOAD: ["it-1", "it-2"]}


def test_a_classifier_from_the_hosts_module_splits_items_by_sku(
    shop: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "catalogue.py").write_text(
        textwrap.dedent(
            """
            def is_physical(item):
                return item.sku_id != "ebook"
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    sink = tmp_path / "out.jsonl"
    done = invoke(
        "worker",
        "--db",
        shop,
        "--once",
        "--classifier",
        "catalogue:is_physical",
        "--sink",
        f"jsonl:{sink}",
    )

    assert done.exit_code == 0, done.output
    assert delivered(sink) == {SHIP: ["it-1"], DOWNLOAD: ["it-2"]}


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("vinyl", "'vinyl': expected physical, digital or MODULE:NAME"),
        ("json:nope", "'json:nope': AttributeError"),
        ("json:__doc__", "'json:__doc__' is not a function taking an item"),
    ],
)
def test_a_classifier_that_cannot_be_used_is_a_usage_error(
    shop: str, value: str, said: str
) -> None:
    done = invoke("worker", "--db", shop, "--once", "--classifier", value)

    assert done.exit_code == 2
    assert "Invalid value for '--classifier'" in done.output and said in done.output


def _host_modules(folder: Path) -> None:
    (folder / "bookshop.py").write_text(
        textwrap.dedent(
            """
            from orderfsm.dispatch import HandlerRegistry, ship_unflagged

            registry = HandlerRegistry(classifier=ship_unflagged)
            """
        )
    )
    (folder / "downloads.py").write_text(
        textwrap.dedent(
            """
            from orderfsm.dispatch import HandlerRegistry, deliver_unflagged_digitally

            registry = HandlerRegistry(classifier=deliver_unflagged_digitally)
            """
        )
    )


def test_the_registrys_classifier_applies_when_no_classifier_option_is_given(
    shop: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _host_modules(tmp_path)
    monkeypatch.chdir(tmp_path)
    sink = tmp_path / "out.jsonl"

    done = invoke(
        "worker",
        "--db",
        shop,
        "--once",
        "--handlers",
        "bookshop:registry",
        "--sink",
        f"jsonl:{sink}",
    )

    assert done.exit_code == 0, done.output
    assert delivered(sink) == {SHIP: ["it-1", "it-2"]}


def test_the_classifier_option_wins_over_the_registrys(
    shop: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _host_modules(tmp_path)
    monkeypatch.chdir(tmp_path)
    sink = tmp_path / "out.jsonl"

    done = invoke(
        "worker",
        "--db",
        shop,
        "--once",
        "--handlers",
        "bookshop:registry",
        "--classifier",
        "digital",
        "--sink",
        f"jsonl:{sink}",
    )

    assert done.exit_code == 0, done.output
    assert delivered(sink) == {DOWNLOAD: ["it-1", "it-2"]}


def test_two_registries_with_different_classifiers_are_a_usage_error(
    shop: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _host_modules(tmp_path)
    monkeypatch.chdir(tmp_path)

    done = invoke(
        "worker",
        "--db",
        shop,
        "--once",
        "--handlers",
        "bookshop:registry",
        "--handlers",
        "downloads:registry",
    )

    assert done.exit_code == 2
    assert "'downloads:registry' brings a classifier and an earlier registry another one" in (
        done.output
    )
