"""Showing a batch's progress: bars on a terminal, plain log lines elsewhere.

Only the CLI uses this; the library reports through events (see executor.emit).
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

STAGE_WORDS = {"probe": "probing", "analyse": "analysing", "render": "rendering"}


def describe(event: dict[str, Any]) -> str:
    stage = event.get("stage", "")
    if stage == "render":
        return f"rendering clip {event['clip']} of {event['clips']}"
    if stage == "analyse" and "fraction" in event:
        return f"analysing {event['fraction']:.0%}"
    return STAGE_WORDS.get(stage, stage)


class PlainProgress:
    """One line per stage change, for logs (CI, make). Silent when ``quiet``."""

    def __init__(self, total: int, stream: IO[str] | None = None, quiet: bool = False) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.finished = 0
        self._last: dict[str, str] = {}

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def __call__(self, event: dict[str, Any]) -> None:
        src, stage = event.get("source", ""), event.get("stage", "")
        if stage in ("done", "error"):
            self.finished += 1
        if self.quiet or stage in ("done", "error"):
            return
        # Analysis fractions would flood a log; report the stage once.
        what = STAGE_WORDS.get(stage, stage) if stage == "analyse" else describe(event)
        if self._last.get(src) == what:
            return
        self._last[src] = what
        print(f"[{self.finished}/{self.total}] {src}: {what}", file=self.stream, flush=True)


class RichProgress:
    """A bar per file being worked on and one overall bar."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description}", style="bold"),
            BarColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.overall = self.progress.add_task("all files", total=total, status="")
        self.tasks: dict[str, Any] = {}
        self.started = time.monotonic()

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, event: dict[str, Any]) -> None:
        src, stage = event.get("source", ""), event.get("stage", "")
        if src not in self.tasks:
            name = src if len(src) <= 40 else "..." + src[-37:]
            self.tasks[src] = self.progress.add_task(name, total=1.0, status="")
        task = self.tasks[src]
        if stage in ("done", "error"):
            self.progress.update(task, completed=1.0, visible=False)
            self.progress.advance(self.overall)
            return
        completed = None
        if stage == "analyse":
            completed = 0.5 * float(event.get("fraction", 0.0))
        elif stage == "render":
            completed = 0.5 + 0.5 * (event["clip"] - 1) / max(1, event["clips"])
        self.progress.update(task, status=describe(event), completed=completed)


def make_progress(total: int, *, quiet: bool, stream: IO[str] | None = None) -> Any:
    """Bars when stderr is a terminal (and not quiet), else plain lines."""
    stream = stream or sys.stderr
    if not quiet and stream.isatty():
        return RichProgress(total)
    return PlainProgress(total, stream, quiet)
