"""The suite's gates (tests/gates.py): what a machine without Graphviz or PostgreSQL sees.

Each case runs a small test file under pytester with ``-p tests.gates`` and a
``PATH`` that hides ``dot``, as on a fresh machine, outside CI and under
``CI=true``; the PostgreSQL probe is pointed at a port nobody listens on.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.gates import LOCAL_POSTGRES_URL, POSTGRES_URL_ENV, choose_postgres, path_without

NEEDS_DOT = """
import shutil
import pytest

@pytest.mark.requires_dot
def test_draws():
    assert shutil.which("dot")

def test_needs_nothing():
    pass
"""


@pytest.fixture
def without_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", path_without("dot", tmp_path / "bin"))
    monkeypatch.delenv("CI", raising=False)


@pytest.mark.usefixtures("without_dot")
def test_without_dot_a_test_marked_requires_dot_skips_and_says_how_to_install_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(NEEDS_DOT)
    result = pytester.runpytest("-p", "tests.gates", "-ra")

    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "graphviz: none, its tests skip: Graphviz's dot is not on PATH: apt-get install *",
            "SKIPPED [[]1[]] *: Graphviz's dot is not on PATH: apt-get install graphviz*",
        ]
    )


@pytest.mark.usefixtures("without_dot")
def test_without_dot_under_ci_a_test_marked_requires_dot_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    pytester.makepyfile(NEEDS_DOT)
    result = pytester.runpytest("-p", "tests.gates", "-ra")

    result.assert_outcomes(passed=1, errors=1)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*Graphviz's dot is not on PATH*(CI=true: nothing may skip)*"])


@pytest.mark.requires_dot
def test_with_dot_a_test_marked_requires_dot_runs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(NEEDS_DOT)
    result = pytester.runpytest("-p", "tests.gates")

    result.assert_outcomes(passed=2)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_given_url_is_used_as_given_without_probing_it() -> None:
    given = "postgresql+psycopg://shop:pw@127.0.0.1:9/shop"

    assert choose_postgres(f"  {given} ").url == given


def test_without_a_url_and_without_a_local_server_the_reason_names_the_url_tried() -> None:
    tried = f"postgresql+psycopg://postgres:s3cret-pw@127.0.0.1:{closed_port()}/test"
    choice = choose_postgres("", tried)

    assert choice.url is None
    assert "no PostgreSQL answers at postgresql+psycopg://postgres:***@127.0.0.1:" in choice.why
    assert POSTGRES_URL_ENV in choice.why and "s3cret-pw" not in choice.why


def test_without_a_url_a_local_server_that_answers_is_used() -> None:
    choice = choose_postgres(None)
    if choice.url is None:
        pytest.skip(f"no local PostgreSQL: {choice.why}")

    assert choice.url == LOCAL_POSTGRES_URL


def test_the_header_names_the_postgresql_url_or_why_there_is_none(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(POSTGRES_URL_ENV, "postgresql+psycopg://shop:s3cret-pw@db.example/shop")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("-p", "tests.gates")

    result.stdout.fnmatch_lines(
        [f"postgresql: postgresql+psycopg://shop:***@db.example/shop (from {POSTGRES_URL_ENV})"]
    )
    assert "s3cret-pw" not in result.stdout.str()
