"""Progress callbacks of the width scans (``qv``, ``mirror``): the protocols call them as work
advances; the default does nothing, the command line draws Rich bars."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class WidthProgress:
    """Callbacks a width scan calls as work advances; the default does nothing."""

    def width_started(self, width: int, circuits: int) -> None:
        """A width begins; ``circuits`` is how many its bar counts."""

    def stage(self, width: int, stage: str) -> None:
        """A width enters ``stage`` (build, ideal, transpile, execute, analyse)."""

    def advance(self, width: int, circuits: int) -> None:
        """``circuits`` more circuits of ``width`` are done."""

    def width_done(self, result: Any) -> None:
        """A width's result is in."""


class RichWidthProgress(WidthProgress):
    """One Rich progress bar per width; ``describe(result)`` is its final description."""

    def __init__(self, bars: Any, describe: Callable[[Any], str]) -> None:
        self._bars = bars
        self._describe = describe
        self._tasks: dict[int, Any] = {}

    def width_started(self, width: int, circuits: int) -> None:
        self._tasks[width] = self._bars.add_task(f"width {width}: build", total=circuits)

    def stage(self, width: int, stage: str) -> None:
        self._bars.update(self._tasks[width], description=f"width {width}: {stage}")

    def advance(self, width: int, circuits: int) -> None:
        self._bars.advance(self._tasks[width], circuits)

    def width_done(self, result: Any) -> None:
        self._bars.update(
            self._tasks[result.width], description=f"width {result.width}: {self._describe(result)}"
        )


def width_bars(console: Any) -> Any:
    """The Rich ``Progress`` the width scans draw on ``console`` (description, bar, n/N, time)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
