"""The suite's gates on optional system parts: Graphviz's ``dot`` and a PostgreSQL server.

A pytest plugin (loaded by tests/conftest.py). Outside CI a missing part
skips the tests that need it, with a reason ``-ra`` lists; under ``CI=true``
the same tests fail, so CI can never pass by silently skipping them.

- ``@pytest.mark.requires_dot``: the test runs Graphviz's ``dot``.
- ``@pytest.mark.requires_browser``: the test drives Chromium through
  chromedriver (the console's page tests; .ci/run installs both since they exist).
- PostgreSQL: ``ORDERFSM_TEST_POSTGRES_URL`` when set; otherwise the local
  default below, when a server answers there within a second. pytest's header
  says which URL the run uses (password hidden) or why it has none.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

POSTGRES_URL_ENV = "ORDERFSM_TEST_POSTGRES_URL"
LOCAL_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
"""Tried when ``ORDERFSM_TEST_POSTGRES_URL`` is unset (trust auth, as on CI)."""
PROBE_TIMEOUT_SECONDS = 10
"""For a server that answers slowly (a loaded CI machine); a closed port is refused at once.

It was 1 (libpq and psycopg make that 2): a local server slow to fork a
backend under load could look absent, and every PostgreSQL test of that
xdist worker would then fail under ``CI=true`` (the probe runs once per process).
"""
INSTALL_DOT = "Graphviz's dot is not on PATH: apt-get install graphviz (or brew install graphviz)"
REQUIRES_DOT = "requires_dot"
REQUIRES_BROWSER = "requires_browser"
BROWSER_PROGRAMS = ("chromium", "chromedriver")
INSTALL_BROWSER = (
    "chromium and chromedriver are not on PATH: apt-get install chromium chromium-driver"
)
MARKERS = (
    f"{REQUIRES_DOT}: runs Graphviz's dot; skipped without it (fails under CI=true)",
    f"{REQUIRES_BROWSER}: drives Chromium via chromedriver; skipped without them "
    "(fails under CI=true)",
    "postgres: needs a PostgreSQL server (ORDERFSM_TEST_POSTGRES_URL, else a local one "
    "answering at 127.0.0.1:5432); added automatically to tests using the postgres fixtures",
)


def in_ci() -> bool:
    """Whether this run is CI's (``CI=true``), where nothing may skip."""
    return os.environ.get("CI", "").strip().lower() == "true"


def missing(reason: str) -> NoReturn:
    """Skip the current test for ``reason``, or fail it under CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: nothing may skip)", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class PostgresChoice:
    """The PostgreSQL URL this run's tests use, or why there is none."""

    url: str | None
    why: str


def choose_postgres(env_value: str | None, local_url: str = LOCAL_POSTGRES_URL) -> PostgresChoice:
    """The environment's URL as given; else ``local_url`` if a server answers there."""
    given = (env_value or "").strip()
    if given:
        return PostgresChoice(given, f"from {POSTGRES_URL_ENV}")
    # Imported here: a run with the URL given (or no PostgreSQL tests) never needs psycopg.
    import psycopg
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(local_url)
        conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, connect_timeout=PROBE_TIMEOUT_SECONDS):
            pass
    except Exception as exc:  # any failure means "no usable local server", with its reason
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return PostgresChoice(
            None,
            f"{POSTGRES_URL_ENV} is unset and no PostgreSQL answers at {hide_password(local_url)}"
            f" ({first}); set {POSTGRES_URL_ENV} to a database URL",
        )
    return PostgresChoice(local_url, f"{POSTGRES_URL_ENV} unset; a local server answers")


def hide_password(url: str) -> str:
    """``url`` with any password between ``:`` and ``@`` shown as ``***``."""
    return re.sub(r"(//[^/:@]*:)[^@]*@", r"\1***@", url)


_CHOICE = pytest.StashKey[PostgresChoice]()


def postgres_choice(config: pytest.Config) -> PostgresChoice:
    """This run's PostgreSQL, probed once per process."""
    if _CHOICE not in config.stash:
        config.stash[_CHOICE] = choose_postgres(os.environ.get(POSTGRES_URL_ENV))
    return config.stash[_CHOICE]


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)


def pytest_report_header(config: pytest.Config) -> list[str]:
    choice = postgres_choice(config)
    dot = shutil.which("dot")
    return [
        f"postgresql: {hide_password(choice.url)} ({choice.why})"
        if choice.url
        else f"postgresql: none, its tests skip: {choice.why}",
        f"graphviz: {dot}" if dot else f"graphviz: none, its tests skip: {INSTALL_DOT}",
    ]


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker(REQUIRES_DOT) is not None and shutil.which("dot") is None:
        missing(INSTALL_DOT)
    if item.get_closest_marker(REQUIRES_BROWSER) is not None and not all(
        shutil.which(program) for program in BROWSER_PROGRAMS
    ):
        missing(INSTALL_BROWSER)


def path_without(program: str, folder: Path) -> str:
    """A ``PATH`` like this one's, minus ``program``: a folder of links to everything else.

    How the suite plays a machine without Graphviz while this one has it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not directory or not Path(directory).is_dir():
            continue
        for entry in Path(directory).iterdir():
            link = folder / entry.name
            if entry.name != program and not link.exists() and not link.is_symlink():
                link.symlink_to(entry)
    return str(folder)
