"""The lifecycle a diff starts from: an exported file, or the table at a git revision.

A git revision is read by running *that revision's own* export: ``git archive
REV orderfsm`` is unpacked into a temporary directory and ``orderfsm lifecycle
export --json`` runs there (this interpreter, that code first on the path,
with a timeout). So every commit is read as its code defined it, including a
commit in the middle of a branch whose committed ``docs/lifecycle.json`` was
not regenerated. Only when that code cannot export (a dependency this
environment lacks, a broken commit) is the revision's committed
``docs/lifecycle.json`` used instead, with a note saying so. A revision that
has neither (it predates ``lifecycle export``) is refused in one line.

Running a revision's code imports its ``orderfsm`` package: do it for
revisions of a repository you trust, as you would check one out.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from orderfsm.diagrams.errors import DiagramError
from orderfsm.diagrams.export import load_lifecycle, load_lifecycle_file
from orderfsm.diagrams.graph import LifecycleGraph

EXPORT_TIMEOUT_SECONDS = 120
GIT_TIMEOUT_SECONDS = 60
COMMITTED_EXPORT = "docs/lifecycle.json"
PACKAGE = "orderfsm"
_EXPORT = (
    "import pathlib, sys\n"
    "import orderfsm\n"
    "here = pathlib.Path.cwd().resolve()\n"
    "if not pathlib.Path(orderfsm.__file__).resolve().is_relative_to(here):\n"
    "    sys.exit(f'imported orderfsm from {orderfsm.__file__}, not from the revision')\n"
    "from orderfsm.cli.app import main\n"
    "sys.argv[0] = 'orderfsm'\n"
    "main()\n"
)


@dataclass(frozen=True, slots=True)
class Base:
    """The lifecycle to compare with, what to call it, and how it was read if that needs saying."""

    graph: LifecycleGraph
    name: str
    note: str | None = None


def read_base(base: str, *, cwd: Path | None = None) -> Base:
    """``base`` as a lifecycle: a file exported by ``lifecycle export``, else a git revision.

    A file wins when ``base`` names both. The revision is looked up in the git
    repository holding ``cwd`` (the current directory by default), as ``git
    diff`` would.
    """
    where = Path.cwd() if cwd is None else cwd
    path = where / base
    if path.is_file():
        return Base(load_lifecycle_file(path), base)
    repo = _git(where, "rev-parse", "--show-toplevel")
    if repo is None:
        raise DiagramError(
            f"BASE {base!r} is neither a file nor a git revision ({where} is not in a git "
            "repository)"
        )
    commit = _git(where, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    if commit is None:
        raise DiagramError(f"BASE {base!r} is neither a file nor a revision of the git repository")
    name = base if commit.startswith(base) else f"{base} ({commit[:7]})"
    return _at_revision(Path(repo), commit, name)


def _at_revision(repo: Path, commit: str, name: str) -> Base:
    source = f"the lifecycle at {name}"
    exported, why = _export(repo, commit, name)
    if exported is not None:
        return Base(load_lifecycle(exported, source=source), name)
    committed = _git(repo, "show", f"{commit}:{COMMITTED_EXPORT}", strip=False)
    if committed is not None:
        note = f"{name}'s code could not export its table ({why}); read its {COMMITTED_EXPORT}"
        return Base(load_lifecycle(committed, source=f"{COMMITTED_EXPORT} at {name}"), name, note)
    raise DiagramError(
        f"cannot read the lifecycle at {name}: its orderfsm cannot export it ({why}), as "
        f"before `orderfsm lifecycle export` existed, and it has no {COMMITTED_EXPORT}; "
        "compare with a file exported there instead"
    )


def _export(repo: Path, commit: str, name: str) -> tuple[str | None, str]:
    """The JSON the revision's own code exports, or ``None`` and why it could not."""
    try:
        archive = _run(
            ["git", "archive", "--format=tar", commit, PACKAGE], repo, GIT_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        return None, f"git archive gave no answer within {GIT_TIMEOUT_SECONDS} s"
    if archive.returncode != 0:
        return None, f"it has no {PACKAGE} package"
    with tempfile.TemporaryDirectory(prefix="orderfsm-base-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        command = [sys.executable, "-c", _EXPORT, "lifecycle", "export", "--json"]
        env = {**os.environ, "PYTHONPATH": tmp, "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            done = _run(command, Path(tmp), EXPORT_TIMEOUT_SECONDS, env)
        except subprocess.TimeoutExpired:
            return None, f"no answer within {EXPORT_TIMEOUT_SECONDS} s"
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        last = said[-1].removeprefix("Error: ").removeprefix("error: ") if said else ""
        return None, last or f"exit status {done.returncode}"
    return done.stdout.decode(errors="replace"), ""


def _git(where: Path, *args: str, strip: bool = True) -> str | None:
    """Git's answer, or ``None`` when it refuses (not a repository, no such revision or path)."""
    try:
        done = _run(["git", *args], where, GIT_TIMEOUT_SECONDS)
    except FileNotFoundError:
        raise DiagramError("git is not installed: pass BASE as an exported file") from None
    except subprocess.TimeoutExpired:
        raise DiagramError(f"git {args[0]} gave no answer within {GIT_TIMEOUT_SECONDS} s") from None
    if done.returncode != 0:
        return None
    text = done.stdout.decode(errors="replace")
    return text.strip() if strip else text


def _run(
    command: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, timeout=timeout, env=env, check=False
    )
