"""Drawing is opt-in: importing the diagrams, building the machine, or writing Mermaid
never loads ``graphviz`` (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

import orderfsm.diagrams

PROBE = """
import json, sys
import orderfsm.diagrams
from orderfsm.fsm.machine import LifecycleMachine
LifecycleMachine()
from orderfsm.diagrams import graph_from_lifecycle, mermaid_source, order_path
graph = graph_from_lifecycle()
mermaid_source(graph)
mermaid_source(order_path([], "submitted", graph=graph))
print(json.dumps([m for m in ("graphviz", "sqlalchemy") if m in sys.modules]))
"""


def test_diagrams_machine_and_mermaid_never_import_graphviz() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_public_names_are_sorted_and_documented() -> None:
    names = orderfsm.diagrams.__all__

    assert list(names) == sorted(names)
    assert all((getattr(orderfsm.diagrams, name).__doc__ or "").strip() for name in names)
