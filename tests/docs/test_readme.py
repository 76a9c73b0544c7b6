"""The README's code is run, so it cannot rot."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_embedding_example_runs_and_prints_what_the_readme_says(tmp_path: Path) -> None:
    [example] = [b for b in python_blocks() if "Engine.open" in b]
    done = subprocess.run(
        [sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "accepted"
    assert sorted(line.split()[0] for line in lines[1:]) == [
        "request_shipment",
        "send_order_confirmation",
    ]
    assert (tmp_path / "shop.db").exists()
