"""docs/testing.md's example is the file the suite runs, and it behaves as the page says.

The example runs in a fresh pytest session (a subprocess, through the
installed ``pytest11`` plugin), once as written and once with the page's diff
applied, which must fail with a short, shrunk counterexample.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

HARNESS_TIMEOUT_S = 1200
"""pytest-timeout's guard for the two tests that run the harness (the suite's is 300 s).

Their work is fixed (the example's scenarios; with the diff, the shrinking of a
seeded failure) and grows with the machine's load: at a load average near 20 on
2 cores the shrinking run passed 300 s. The session they start is killed a
little earlier, so no pytest process outlives them.
"""
SESSION_TIMEOUT_S = HARNESS_TIMEOUT_S - 60

DOCS = Path(__file__).parents[2] / "docs"
PAGE = DOCS / "testing.md"
EXAMPLE = DOCS / "examples" / "test_ship_handler.py"


def fenced(kind: str) -> list[str]:
    """The bodies of the page's fenced blocks of ``kind`` (python, diff...)."""
    return re.findall(rf"^```{kind}\n(.*?)^```$", PAGE.read_text(), flags=re.M | re.S)


def broken_example() -> str:
    """The example with the page's diff applied."""
    [diff] = fenced("diff")
    removed = [line[1:] for line in diff.splitlines() if line.startswith("-")]
    added = [line[1:] for line in diff.splitlines() if line.startswith("+")]
    text = EXAMPLE.read_text()
    for old, new in zip(removed, added, strict=True):
        assert text.count(old + "\n") == 1, f"the diff's line is not in the example: {old!r}"
        text = text.replace(old + "\n", new + "\n")
    return text


def test_the_page_shows_the_example_file_verbatim() -> None:
    assert EXAMPLE.read_text() in fenced("python")


@pytest.mark.timeout(HARNESS_TIMEOUT_S)
def test_the_example_passes_in_a_fresh_pytest_session(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(test_ship_handler=EXAMPLE.read_text())

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=SESSION_TIMEOUT_S)

    result.assert_outcomes(passed=2)


@pytest.mark.timeout(HARNESS_TIMEOUT_S)
def test_the_broken_handler_fails_with_a_short_shrunk_counterexample(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_ship_handler=broken_example())

    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--hypothesis-seed=2", timeout=SESSION_TIMEOUT_S
    )

    result.assert_outcomes(passed=1, failed=1)
    output = result.stdout.str()
    assert "request_shipment delivered 2 times for order" in output
    steps = re.findall(r"^E\s+state\.(\w+)\(", output, flags=re.M)
    rules = [s for s in steps if s not in ("teardown", "lifecycle_promises_hold")]
    rules = [s for s in rules if not s.startswith("every_shipment")]
    assert rules[0] == "first_order" and "hand_over_again" in rules
    assert len(rules) <= 6, rules
