"""House rule: no module of orderfsm/ grows past ~300 lines (this test fails at 320).

A module that passes the limit is split by meaning (see docs/architecture.md),
keeping its public names importable from where hosts import them.
"""

from __future__ import annotations

from pathlib import Path

import orderfsm

LIMIT = 320
PACKAGE = Path(orderfsm.__file__).parent


def line_counts() -> dict[str, int]:
    """Lines of each Python module of the package, by path relative to it."""
    return {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def test_the_package_has_modules_to_measure() -> None:
    counts = line_counts()

    assert "service/engine.py" in counts
    assert len(counts) > 100


def test_no_module_of_orderfsm_passes_the_limit() -> None:
    too_long = {path: n for path, n in line_counts().items() if n > LIMIT}

    assert not too_long, f"modules over {LIMIT} lines, split them by meaning: {too_long}"
