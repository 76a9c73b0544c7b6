"""Measuring: repeat a run, keep every sample, report median/min/max and paired ratios.

Machines here are shared and noisy, so a figure on its own says little. Every
benchmark runs its candidate and its baseline back to back inside one
repetition and keeps the ratio of that repetition: a slow moment of the
machine slows both sides of the pair and the ratio survives it.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Better(StrEnum):
    """Which way a figure improves (decides how a target is met)."""

    LOWER = "lower"
    HIGHER = "higher"


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured quantity over several repetitions."""

    name: str
    unit: str
    samples: tuple[float, ...]
    target: float | None = None
    better: Better = Better.LOWER

    @property
    def median(self) -> float:
        """The median sample (what the tables quote)."""
        return statistics.median(self.samples)

    @property
    def low(self) -> float:
        """The smallest sample."""
        return min(self.samples)

    @property
    def high(self) -> float:
        """The largest sample."""
        return max(self.samples)

    @property
    def met(self) -> bool | None:
        """Whether the median meets the target (``None``: no target)."""
        if self.target is None:
            return None
        if self.better is Better.LOWER:
            return self.median <= self.target
        return self.median >= self.target


@dataclass(slots=True)
class Report:
    """What one benchmark measured: figures in order, and notes worth reading."""

    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(
        self,
        name: str,
        unit: str,
        samples: Sequence[float],
        *,
        target: float | None = None,
        better: Better = Better.LOWER,
    ) -> Figure:
        """Record a figure and return it."""
        figure = Figure(name, unit, tuple(samples), target, better)
        self.figures.append(figure)
        return figure

    def figure(self, name: str) -> Figure:
        """The figure called ``name``."""
        for figure in self.figures:
            if figure.name == name:
                return figure
        raise KeyError(name)


def timed(action: Callable[[], object], clock: Callable[[], float] = time.perf_counter) -> float:
    """Seconds ``action`` took by ``clock``, with the garbage collector held off meanwhile."""
    gc.collect()
    gc.disable()
    try:
        start = clock()
        action()
        return clock() - start
    finally:
        gc.enable()


def cpu_timed(action: Callable[[], object]) -> float:
    """CPU seconds this process spent in ``action`` (user + system).

    On a shared machine, wall-clock time also counts the moments another
    process held the CPU; CPU time does not, so in-process comparisons use it.
    """
    return timed(action, time.process_time)


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Pairwise ratios of two equally long sample lists (one pair per repetition)."""
    if len(numerators) != len(denominators):
        raise ValueError("ratios need one baseline sample per candidate sample")
    return [a / b for a, b in zip(numerators, denominators, strict=True)]


def format_value(value: float) -> str:
    """A number with about four significant digits, without exponent noise."""
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.1f}"
    if magnitude >= 10:
        return f"{value:.2f}"
    return f"{value:.3f}"


def render(report: Report) -> str:
    """A report as an aligned plain-text table (what ``make bench`` prints)."""
    if not report.figures:
        return "\n".join([f"== {report.title}", *(f"  note: {n}" for n in report.notes)])
    header = ("figure", "median", "min", "max", "unit", "target")
    rows = [header]
    for f in report.figures:
        if f.target is None:
            goal = ""
        else:
            sign = "<=" if f.better is Better.LOWER else ">="
            goal = f"{sign} {format_value(f.target)} {'met' if f.met else 'NOT MET'}"
        rows.append(
            (
                f.name,
                format_value(f.median),
                format_value(f.low),
                format_value(f.high),
                f.unit,
                goal,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [f"== {report.title}"]
    for index, row in enumerate(rows):
        cells = [
            row[i].ljust(widths[i]) if i in (0, 4, 5) else row[i].rjust(widths[i])
            for i in range(len(row))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.extend(f"  note: {note}" for note in report.notes)
    return "\n".join(lines)
