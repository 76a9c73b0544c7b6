"""What importing orderfsm costs, the layer rules, and the public facade.

Import checks run in a fresh interpreter: this test process has long since
imported SQLAlchemy and friends through other tests and plugins.
"""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parents[2]


def _modules_loaded_by(code: str, watched: list[str]) -> list[str]:
    """Run ``code`` in a fresh interpreter; return which of ``watched`` it imported."""
    probe = (
        f"{code}\n"
        "import json, sys\n"
        f"watched = {watched!r}\n"
        "print(json.dumps([m for m in watched if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_orderfsm_loads_no_database_diagram_or_web_stack() -> None:
    heavy = ["sqlalchemy", "graphviz", "starlette", "uvicorn", "alembic", "prometheus_client"]

    assert _modules_loaded_by("import orderfsm", heavy) == []


def test_building_the_machine_loads_no_database_validation_or_diagram_library() -> None:
    code = "from orderfsm.fsm.machine import LifecycleMachine\nLifecycleMachine()"

    assert _modules_loaded_by(code, ["sqlalchemy", "pydantic", "graphviz"]) == []


def test_import_linter_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    assert lint_imports.exists(), f"import-linter is not installed beside {sys.executable}"

    done = subprocess.run(
        [str(lint_imports)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr


def test_public_names_are_sorted_importable_and_documented() -> None:
    orderfsm = importlib.import_module("orderfsm")
    names = orderfsm.__all__

    assert list(names) == sorted(names)
    undocumented = []
    for name in names:
        value = getattr(orderfsm, name)  # raises if a listed name is missing
        if not (inspect.getdoc(value) or "").strip():
            undocumented.append(name)
    assert undocumented == []
