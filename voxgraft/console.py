"""What every voxgraft command prints with: consoles, progress bars, the one-line error."""

from __future__ import annotations

import argparse
import time

from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# soft_wrap: a problem stays on one line however narrow the terminal, so it can be grepped.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

EXIT_BAD_INPUT = 2


class Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    pass


def progress_bar() -> Progress | LineProgress:
    """A live bar on a terminal; in a log (a cluster job, a pipe) plain progress lines."""
    if not err_console.is_terminal:
        return LineProgress()
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err_console, transient=True
    )


class LineProgress:
    """Progress for logs: a line per task when it finishes and at most every INTERVAL_S before,
    with the same add_task / update / remove_task calls as rich's Progress."""

    INTERVAL_S = 15.0

    def __init__(self) -> None:
        self._tasks: dict[int, dict] = {}

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc) -> None:
        self._tasks.clear()

    def add_task(self, description: str, total: float | None = None, **_) -> int:
        now = time.monotonic()
        self._tasks[len(self._tasks)] = {"description": description, "total": total, "completed": 0, "start": now, "last": now, "done": False}
        return len(self._tasks) - 1

    def update(
        self, task: int, completed: float | None = None, total: float | None = None, advance: float | None = None,
        description: str | None = None, **_,
    ) -> None:
        t = self._tasks.get(task)
        if t is None:
            return
        t["description"] = description or t["description"]
        t["total"] = total if total is not None else t["total"]
        t["completed"] = completed if completed is not None else t["completed"] + (advance or 0)
        now = time.monotonic()
        finished = t["total"] is not None and t["completed"] >= t["total"]
        if (finished and not t["done"]) or (not finished and now - t["last"] >= self.INTERVAL_S):
            t["last"], t["done"] = now, finished
            of = f"/{t['total']:g}" if t["total"] is not None else ""
            err_console.print(f"{t['description']}: {t['completed']:g}{of} ({now - t['start']:.0f} s)", highlight=False, markup=False)

    def remove_task(self, task: int) -> None:
        self._tasks.pop(task, None)


def print_table(table, out: Console | None = None) -> None:
    """A table at its own width in a log or a pipe, where rich would squeeze it into 80 columns
    and cut organ names to 'durat…'; on a terminal, as wide as the terminal allows."""
    out = out or console
    if out.is_terminal:
        out.print(table)
        return
    width = Measurement.get(out, out.options.update(max_width=100_000), table).maximum
    Console(file=out.file, width=max(width, out.width), soft_wrap=True, no_color=True, highlight=False).print(table)


def first_line(exc: BaseException) -> str:
    """An exception as one line (its first), for errors that quote another library's."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def fail(message: str) -> int:
    # escaped: brackets in a message (a path, "voxgraft[wandb]") are text, not rich markup
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return EXIT_BAD_INPUT
