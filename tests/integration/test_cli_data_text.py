"""Whatever the data holds, the CLI prints it and exits 0 (issue 14 item 2).

Ids, keys and event types with rich markup (``[/x]``, ``[bold]``), ``\\``,
control characters and non-BMP text go into a real SQLite file through the
engine and the inbox, then through ``show``, ``inbox``, ``effects`` and
``worker --once`` (click's runner, in-process, a wide terminal so that no
cell wraps). Each must exit 0 and show the text: control characters as
``\\xNN``, everything else as it is.
"""

from __future__ import annotations

import json
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderfsm import Engine
from orderfsm.cli import cli
from orderfsm.persistence import inbox as store
from orderfsm.samples.builders import Item, OrderSketch

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CONTROL = "\x01\x07\x08\t\n\r\x1b\x7f\x85\x9b"
ALPHABET = "abcXYZ019-_.:/[]\\=#" + CONTROL + "\U0001f600\U0001d518\U00020000é"
MARKUP = ["[/x]", "[bold]", "[/]", "[link=http://x]", "\\[", "[red]", "]["]

awkward = st.builds(
    lambda head, markup, tail: head + markup + tail,
    st.text(ALPHABET, min_size=1, max_size=8),
    st.sampled_from(MARKUP),
    st.text(ALPHABET, max_size=8),
)


def shown(value: str) -> str:
    """How the CLI must show ``value``: each C0/C1 control character as ``\\xNN``."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda c: f"\\x{ord(c.group()):02x}", value)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "1000"})


def shop(folder: Path, upstream_id: str, event_id: str, event_type: str) -> str:
    """A database with one accepted order (its effects pending) and two stored deliveries."""
    url = f"sqlite:///{folder / 'shop.db'}"
    o = OrderSketch("dr-1", "co-1", upstream_id, [Item("it-1", "sku", 1, 5.0, True)])
    accepted = o.event("order.accepted", o.order("accepted", T0, fraud_state="passed"), T0)
    with Engine.open(url, create_if_empty=True) as engine:
        engine.submit(upstream_id, "co-1")
        engine.apply_event(accepted)
        odd = {"id": event_id, "type": event_type, "data": {"object": {"id": event_id}}}
        store.store_event(
            engine.db, event_id=event_id, event_type=event_type, body=json.dumps(odd), now=T0
        )
    return url


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(upstream_id=awkward, event_id=awkward, event_type=awkward)
def test_show_inbox_effects_and_the_worker_print_any_text_and_exit_0(
    upstream_id: str, event_id: str, event_type: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = shop(Path(folder), upstream_id, event_id, event_type)

        worker = run("worker", "--once", "--db", url)
        assert worker.exit_code == 0, worker.output
        assert f"{shown(upstream_id)}:accepted:" in worker.output  # effects with no handler

        order = run("show", "--db", url, "--", upstream_id)  # "--": an id may start with -
        assert order.exit_code == 0, order.output
        assert shown(upstream_id) in order.output

        inbox = run("inbox", "--db", url)
        assert inbox.exit_code == 0, inbox.output
        assert shown(event_id) in inbox.output and shown(event_type) in inbox.output

        effects = run("effects", "--db", url)
        assert effects.exit_code == 0, effects.output
        assert f"{shown(upstream_id)}:accepted:" in effects.output
        assert "\x1b" not in order.output + inbox.output + effects.output + worker.output
