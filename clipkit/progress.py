"""Showing a batch's progress: bars on a terminal, plain log lines elsewhere.

Only the CLI uses this (it is the CLI's display, the one place beside clipkit.cli that
prints); the library reports through events (see executor.emit): progress, where the
work runs, and lines to show (``say``).
A file's share of the work: the first half is probing and analysing it, the second
rendering its clips, each clip by the frames the encoder has of it. The overall
figure is the files done plus the shares of those under way, so it only goes
forward and is full (100 %) once every file is done or has failed.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

STAGE_WORDS = {"probe": "probing", "analyse": "analysing", "render": "rendering"}

# Plain lines tell a clip's rendering at these steps (in percent): enough to see it
# move in a log, few enough not to flood it.
PLAIN_STEP = 25


def describe(event: dict[str, Any]) -> str:
    stage = event.get("stage", "")
    if stage == "render":
        # (an event without a clip number is of a file made in one piece: a reel)
        text = (
            f"rendering clip {event['clip']} of {event['clips']}"
            if "clip" in event
            else "rendering"
        )
        return text + (f": {clip_percent(event)} %" if "frames" in event else "")
    if stage == "analyse" and "fraction" in event:
        return f"analysing {event['fraction']:.0%}"
    return STAGE_WORDS.get(stage, stage)


def clip_percent(event: dict[str, Any]) -> int:
    """How much of the clip the encoder has, in whole percent (frames of its frames)."""
    return int(100 * event["frames"] // max(1, event["of"]))


def share(event: dict[str, Any]) -> float | None:
    """How far a file is (0-1) by this event, or None when the event does not say."""
    stage = event.get("stage", "")
    if stage in ("done", "error"):
        return 1.0
    if stage == "analyse":
        return 0.5 * float(event.get("fraction", 0.0))
    if stage == "render":
        clips = max(1, event.get("clips", 1))
        within = event["frames"] / max(1, event["of"]) if "frames" in event else 0.0
        # Short of full until the file is done: muxing and the cover are still to come.
        return min(0.99, 0.5 + 0.5 * (event.get("clip", 1) - 1 + within) / clips)
    return None


class Tally:
    """Each file's share and the overall fraction; neither ever goes back."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.shares: dict[str, float] = {}
        self.finished = 0

    def update(self, event: dict[str, Any]) -> float:
        """Take ``event`` in; return its file's share (0 for an event of no file)."""
        if "source" not in event:
            return 0.0
        src, stage = event.get("source", ""), event.get("stage", "")
        if stage in ("done", "error"):
            self.finished += 1
        now = share(event)
        before = self.shares.get(src, 0.0)
        self.shares[src] = max(before, now) if now is not None else before
        return self.shares[src]

    @property
    def overall(self) -> float:
        """Work done of the whole batch (0-1)."""
        if self.total <= 0:
            return 1.0
        return min(1.0, sum(self.shares.values()) / self.total)


class PlainProgress:
    """One line per stage change (and per quarter of each clip rendered), for logs (CI,
    make); the overall percent in front, and a last line when all files are done.
    Silent when ``quiet``."""

    def __init__(self, total: int, stream: IO[str] | None = None, quiet: bool = False) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tally = Tally(total)
        # The last line of each source's clip (clips of a source may render at once).
        self._last: dict[tuple[str, object], str] = {}

    @property
    def finished(self) -> int:
        return self.tally.finished

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None and not self.quiet and self.total and self.finished == self.total:
            self._say("all files done")

    def _say(self, text: str) -> None:
        pct = int(100 * self.tally.overall)
        print(f"[{self.finished}/{self.total} · {pct} %] {text}", file=self.stream, flush=True)

    def __call__(self, event: dict[str, Any]) -> None:
        src, stage = event.get("source", ""), event.get("stage", "")
        if "say" in event:  # a line for the user, even when quiet (the run waits)
            print(f"clipkit: {event['say']}", file=self.stream, flush=True)
            return
        if "where" in event:  # where the work runs (clipkit.run.cluster)
            if not self.quiet:
                self._say(event["where"])
            return
        self.tally.update(event)
        if self.quiet or stage in ("done", "error"):
            return
        # Analysis fractions would flood a log; report the stage once.
        if stage == "analyse":
            what = STAGE_WORDS[stage]
        elif stage == "render":  # its first event (no frames yet) is 0 %
            step = clip_percent(event) // PLAIN_STEP * PLAIN_STEP if "frames" in event else 0
            what = describe({**event, "frames": step, "of": 100})
        else:
            what = describe(event)
        where = (src, event.get("clip"))
        if self._last.get(where) == what:
            return
        self._last[where] = what
        self._say(f"{src}: {what}")


class RichProgress:
    """A bar per file being worked on and one overall bar."""

    def __init__(self, total: int, console: Any = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}", style="bold"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self.tally = Tally(total)
        self.overall = self.progress.add_task("all files", total=max(1, total), status="")
        self.tasks: dict[str, Any] = {}
        self.started = time.monotonic()

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, event: dict[str, Any]) -> None:
        src, stage = event.get("source", ""), event.get("stage", "")
        if "say" in event:  # a line for the user (the run waits)
            self.progress.console.print(f"clipkit: {event['say']}", markup=False, highlight=False)
            return
        if "where" in event:  # where the work runs (clipkit.run.cluster)
            self.progress.console.print(event["where"])
            return
        if src not in self.tasks:
            name = src if len(src) <= 40 else "..." + src[-37:]
            self.tasks[src] = self.progress.add_task(name, total=1.0, status="")
        task = self.tasks[src]
        mine = self.tally.update(event)
        overall = self.tally.overall * max(1, self.tally.total)
        self.progress.update(self.overall, completed=overall, status=f"{self.tally.finished} done")
        if stage in ("done", "error"):
            self.progress.update(task, completed=1.0, visible=False)
            return
        self.progress.update(task, status=describe(event), completed=mine)


def make_progress(total: int, *, quiet: bool, stream: IO[str] | None = None) -> Any:
    """Bars when stderr is a terminal (and not quiet), else plain lines."""
    stream = stream or sys.stderr
    if not quiet and stream.isatty():
        return RichProgress(total)
    return PlainProgress(total, stream, quiet)
