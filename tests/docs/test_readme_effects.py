"""The README's effect-delivery example runs, after the embedding example, as written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .test_readme import python_blocks


def run_python(code: str, cwd: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_the_effect_delivery_example_prints_what_the_readme_says(tmp_path: Path) -> None:
    [embedding] = [b for b in python_blocks() if "Engine.open" in b]
    [delivery] = [b for b in python_blocks() if "run_once()" in b]
    run_python(embedding, tmp_path)

    lines = run_python(delivery, tmp_path)

    assert lines == [
        "ship 1 x sku-1 key SHOP-1:accepted:request_shipment",
        "1 done, 1 waiting for a handler",
    ]
