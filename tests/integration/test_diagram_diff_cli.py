"""``orderfsm diagram --diff BASE``: an exported file or a git revision, drawn and summarised.

The git tests build a real repository in a temporary directory with three
commits of the package: one that predates ``lifecycle export`` and commits no
export, one that predates it but commits a ``docs/lifecycle.json``, and the
package as it is now. The console script runs there, as a reviewer runs it in
a checkout; each revision's own code is run to read its table.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner, Result

from orderfsm.cli.diagram import diagram
from orderfsm.diagrams import DiagramError, revision
from orderfsm.diagrams.diff_style import ADDED_INK, REMOVED_INK
from orderfsm.diagrams.export import dumps, lifecycle_document
from tests.support.cli import run_orderfsm
from tests.unit.diagrams.support import ADDED_SINCE_BASE, REMOVED_SINCE_BASE, base_document

ROOT = Path(__file__).parents[2]
SVG = "{http://www.w3.org/2000/svg}"
ADDED_LINE = "- `+ edge fulfilled --complete--> complete`"
REMOVED_LINE = "- `- edge accepted --return--> returned`"


@pytest.fixture
def base_file(tmp_path: Path) -> Path:
    path = tmp_path / "base.json"
    path.write_text(dumps(base_document()), encoding="utf-8")
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(diagram, list(args))


def svg_edge(root: ElementTree.Element, key: str) -> ElementTree.Element:
    (group,) = [g for g in root.iter(f"{SVG}g") if g.get("id") == f"edge:{key}"]
    return group


@pytest.mark.requires_dot
def test_a_diff_svg_draws_the_added_edge_green_and_the_removed_one_dashed(
    base_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "diff.svg"

    result = run("--diff", str(base_file), "-o", str(out))

    assert result.exit_code == 0, result.output
    root = ElementTree.fromstring(out.read_bytes())
    added = svg_edge(root, ADDED_SINCE_BASE)
    removed = svg_edge(root, REMOVED_SINCE_BASE)
    same = svg_edge(root, "submitted:await_payment:pending_payment")
    assert "added" in (added.get("class") or "").split()
    assert added.find(f"{SVG}path").get("stroke") == ADDED_INK
    removed_path = removed.find(f"{SVG}path")
    assert removed_path.get("stroke") == REMOVED_INK
    assert removed_path.get("stroke-dasharray")
    assert same.find(f"{SVG}path").get("stroke-dasharray") is None
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert f"lifecycle changes since {base_file}" in texts
    assert "legend" in texts
    assert result.stdout.splitlines() == [
        f"Lifecycle changes since {base_file}:",
        ADDED_LINE,
        REMOVED_LINE,
    ]


@pytest.mark.requires_dot
def test_a_diff_png_is_a_png(base_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "diff.png"

    result = run("--diff", str(base_file), "-o", str(out))

    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_without_o_the_diagram_goes_to_stdout_and_the_summary_to_stderr(
    base_file: Path,
) -> None:
    result = run("--diff", str(base_file), "--format", "mermaid")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("flowchart TB\n")
    assert "linkStyle" in result.stdout and "classDef removed" in result.stdout
    assert ADDED_LINE in result.stderr.splitlines()
    assert REMOVED_LINE in result.stderr.splitlines()


def test_exit_code_says_whether_the_lifecycle_changed(base_file: Path, tmp_path: Path) -> None:
    same = tmp_path / "same.json"
    same.write_text(dumps(lifecycle_document()), encoding="utf-8")

    changed = run("--diff", str(base_file), "--format", "dot", "-o", str(tmp_path / "a.dot"))
    flagged = run("--diff", str(base_file), "--exit-code", "-o", str(tmp_path / "b.dot"))
    unchanged = run("--diff", str(same), "--exit-code", "-o", str(tmp_path / "c.dot"))

    assert changed.exit_code == 0, changed.output
    assert flagged.exit_code == 1, flagged.output
    assert unchanged.exit_code == 0, unchanged.output
    assert unchanged.stdout.splitlines()[-1] == "- no changes"


def test_diff_takes_no_order_or_deadline(base_file: Path) -> None:
    result = run("--diff", str(base_file), "--order", "SHOP-1")
    alone = run("--exit-code")

    assert result.exit_code == 2 and "--diff compares lifecycle tables" in result.output
    assert alone.exit_code == 2 and "--exit-code goes with --diff" in alone.output


def test_a_bad_base_file_is_one_line_naming_it_and_nothing_is_written(tmp_path: Path) -> None:
    bad = tmp_path / "old.json"
    bad.write_text(json.dumps({"format": "orderfsm-lifecycle/9", "states": []}))
    out = tmp_path / "diff.mmd"

    done = run_orderfsm("diagram", "--diff", str(bad), "-o", str(out), cwd=tmp_path)

    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: {bad} is format 'orderfsm-lifecycle/9': this orderfsm reads "
        "'orderfsm-lifecycle/1' (write one with `orderfsm lifecycle export --json`)"
    ]
    assert not out.exists()


def test_a_base_outside_any_git_repository_is_one_line(tmp_path: Path) -> None:
    done = run_orderfsm("diagram", "--diff", "main", "--format", "dot", cwd=tmp_path)

    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1
    assert "BASE 'main' is neither a file nor a git revision" in done.stderr
    assert "not in a git repository" in done.stderr


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def _package(repo: Path, *, with_export: bool) -> None:
    package = repo / "orderfsm"
    shutil.rmtree(package, ignore_errors=True)
    shutil.copytree(ROOT / "orderfsm", package, ignore=shutil.ignore_patterns("__pycache__"))
    if with_export:
        return
    # The package as it was before `lifecycle export`: no such command.
    (package / "cli" / "lifecycle.py").unlink()
    app = package / "cli" / "app.py"
    text = app.read_text()
    start = text.index('    "lifecycle": LazyCommand(')
    end = text.index('    "orders": LazyCommand(')
    app.write_text(text[:start] + text[end:])


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository: HEAD~2 cannot export, HEAD~1 cannot but commits an export, HEAD can."""
    repo = tmp_path_factory.mktemp("repo")
    git(repo, "init", "-q", "-b", "main")
    _package(repo, with_export=False)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "before lifecycle export")
    (repo / "docs").mkdir()
    (repo / "docs" / "lifecycle.json").write_text(dumps(base_document()), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "an export committed by hand")
    _package(repo, with_export=True)
    (repo / "docs" / "lifecycle.json").write_text(dumps(lifecycle_document()), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "lifecycle export")
    return repo


def test_diff_head_in_a_real_repository_shows_no_changes(repo: Path) -> None:
    done = run_orderfsm("diagram", "--diff", "HEAD", "--format", "mermaid", "-o", "d.mmd", cwd=repo)

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # read by running HEAD's own export, no fallback note
    short = git(repo, "rev-parse", "--short=7", "HEAD")
    assert done.stdout.splitlines() == [f"Lifecycle changes since HEAD ({short}):", "- no changes"]
    assert (repo / "d.mmd").read_text().startswith("flowchart TB\n")
    (repo / "d.mmd").unlink()


def test_a_revision_that_predates_export_is_refused_in_one_line(repo: Path) -> None:
    done = run_orderfsm("diagram", "--diff", "HEAD~2", "--format", "dot", cwd=repo)

    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: cannot read the lifecycle at HEAD~2 (")
    assert "No such command 'lifecycle'" in line
    assert "before `orderfsm lifecycle export` existed" in line
    assert "Traceback" not in done.stderr


def test_a_revision_whose_code_cannot_export_is_read_from_its_committed_export(
    repo: Path,
) -> None:
    done = run_orderfsm("diagram", "--diff", "HEAD~1", "--format", "dot", "-o", "d.dot", cwd=repo)

    assert done.returncode == 0, done.stderr
    assert "read its docs/lifecycle.json" in done.stderr
    assert done.stdout.splitlines()[1:] == [ADDED_LINE, REMOVED_LINE]
    (repo / "d.dot").unlink()


def test_an_unknown_revision_is_one_line(repo: Path) -> None:
    done = run_orderfsm("diagram", "--diff", "no-such-branch", "--format", "dot", cwd=repo)

    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: BASE 'no-such-branch' is neither a file nor a revision of the git repository"
    ]


def test_a_revision_whose_export_hangs_is_given_up_on_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hanging = tmp_path / "hanging"
    (hanging / "orderfsm").mkdir(parents=True)
    (hanging / "orderfsm" / "__init__.py").write_text("import time\ntime.sleep(60)\n")
    git(hanging, "init", "-q", "-b", "main")
    git(hanging, "add", "-A")
    git(hanging, "commit", "-q", "-m", "an orderfsm that never answers")
    monkeypatch.setattr(revision, "EXPORT_TIMEOUT_SECONDS", 2)

    with pytest.raises(DiagramError) as raised:
        revision.read_base("HEAD", cwd=hanging)

    assert "no answer within 2 s" in str(raised.value)
    assert "\n" not in str(raised.value)
