"""``orderfsm apply``: apply journal files in order."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from orderfsm.cli.options import db_option
from orderfsm.cli.text import plain, visible

if TYPE_CHECKING:
    from rich.table import Table

    from orderfsm.journal import JournalReport

PROGRESS_FROM_LINES = 2_000
"""Journals at least this long get a progress bar (on a terminal)."""


@click.command("apply")
@db_option
@click.option(
    "--retry-for",
    "retry_for",
    type=click.FloatRange(min=0),
    default=120.0,
    show_default=True,
    metavar="SECONDS",
    help="Wait this long for a database that goes away mid-journal, then give up (0: at once).",
)
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def apply(db_url: str, retry_for: float, files: tuple[Path, ...]) -> None:
    """Apply journal FILES (JSON lines: DR events, submits, POST /orders answers).

    Exit 0 when every line was read (a refused signal is an outcome, not an
    error), 1 when some line could not be read (each reported as
    FILE:LINE: what is wrong; the readable lines are still applied) or the
    run gave up. A database that goes away (restarted, locked, unreachable)
    is waited for and the run resumes where it stopped: no line is applied
    twice or skipped. The last line says how far the run got.

    \b
    Example:
      orderfsm apply --db sqlite:///shop.db day1.jsonl day2.jsonl
    """
    # Imported here: `orderfsm apply --help` needs none of the engine's stack.
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from orderfsm.cli.redact import redact
    from orderfsm.heap import collected_rarely
    from orderfsm.journal import apply_journal, numbered_lines
    from orderfsm.journal_resume import Outage, OutagePolicy
    from orderfsm.service import Engine

    err = Console(stderr=True)
    policy = OutagePolicy(retry_for_s=retry_for)

    def tell(outage: Outage, so_far: JournalReport) -> None:
        click.echo(
            visible(
                f"database unavailable ({redact(outage.reason)}); retrying in "
                f"{outage.wait_s:.2f} s (failure {outage.failures}); so far: {so_far.progress()}"
            ),
            err=True,
        )

    total = sum(1 for _ in numbered_lines(files))
    with Engine.open(db_url, create_if_empty=True) as engine, collected_rarely():
        if total >= PROGRESS_FROM_LINES and err.is_terminal:
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
            ) as bar:
                task = bar.add_task("applying", total=total)
                report = apply_journal(
                    engine,
                    numbered_lines(files),
                    progress=lambda: bar.advance(task),
                    outages=policy,
                    on_outage=tell,
                )
        else:
            report = apply_journal(engine, numbered_lines(files), outages=policy, on_outage=tell)
    for problem in report.errors:
        click.echo(visible(problem), err=True)
    console = Console()
    console.print(plain(summary(report)), soft_wrap=True)
    console.print(outcome_table(report))
    if report.stopped is not None:
        click.echo(visible(f"gave up: {redact(report.stopped)}"), err=True)
    console.print(plain(f"progress: {report.progress()}"), soft_wrap=True)
    if not report.ok:
        sys.exit(1)


def summary(report: JournalReport) -> str:
    """How many lines were read (their outcomes follow) and how many could not be."""
    line = f"{report.lines} lines: {report.lines - len(report.errors)} read"
    if report.errors:
        line += f", {len(report.errors)} unreadable"
    return line


def outcome_table(report: JournalReport) -> Table:
    """Outcomes of a journal run as a table."""
    from rich.table import Table

    table = Table(title="outcomes", title_justify="left")
    table.add_column("outcome")
    table.add_column("count", justify="right")
    for outcome, count in sorted(report.outcomes.items()):
        table.add_row(plain(outcome), str(count))
    if report.errors:
        table.add_row(plain("unreadable", "red"), str(len(report.errors)))
    return table
