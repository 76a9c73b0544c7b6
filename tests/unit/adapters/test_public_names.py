"""The adapter's public facade: a short, sorted, complete and documented ``__all__``."""

from __future__ import annotations

import inspect
import subprocess
import sys

import orderfsm.adapters.digitalriver as digitalriver


def test_the_public_names_are_sorted_and_importable() -> None:
    names = digitalriver.__all__

    assert list(names) == sorted(names)
    assert all(hasattr(digitalriver, name) for name in names)


def test_every_public_class_and_function_has_its_own_docstring() -> None:
    undocumented = [
        name
        for name in digitalriver.__all__
        if (inspect.isclass(value := getattr(digitalriver, name)) or inspect.isfunction(value))
        and not (value.__doc__ or "").strip()
    ]

    assert undocumented == []


def test_importing_the_adapter_loads_no_database_or_web_stack() -> None:
    probe = (
        "import sys, orderfsm.adapters.digitalriver\n"
        "print(sorted(m for m in ('sqlalchemy', 'starlette', 'graphviz') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )

    assert done.stdout.strip() == "[]"
