"""A compilation reel ("Fail Friday") planned from clip plans: pure data, no video.

The best ``top`` moments by score become short cuts (``cut_min``-``cut_max`` s, around
each peak and inside its clip's window), in time order (numbered 1, 2, 3...) or in
score order (a countdown: the best, number 1, comes last). A title card opens the reel
and the recovery shot of its best moment ends it; neighbouring parts overlap by a short
crossfade. When it would run over ``max_length``, the cuts are shortened towards
``cut_min`` and then the weakest moments are left out. Rendering reads the plan later.

Proposed preset fields (``ReelOptions`` holds them until presets.py has them):
``reel_max_length``, ``reel_top`` (``--top``), ``reel_order`` (``--order``),
``reel_cut_min``, ``reel_cut_max``, ``reel_transition``, ``reel_title_length``,
``reel_ending_length``; ``--title`` for the title text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from clipkit.clips.plan import ClipPlan
from clipkit.errors import PresetError
from clipkit.options import not_one_of
from clipkit.posts.timeline import Cut, EditTimeline, frame_rate, frame_span

# The longest video each platform takes (PLATFORMS.md, ✔ unless marked): the most a
# preset's reel_max_length may be. X's limit is not in PLATFORMS.md.
PLATFORM_MAX_SECONDS = {
    "reels": 900.0, "feed": 900.0, "square": 900.0,  # Instagram: 3 s-15 min
    "stories": 60.0, "tiktok": 600.0, "shorts": 180.0,
    "facebook": 90.0,  # Facebook Reels: 3-90 s
}  # fmt: skip
ORDERS = ("time", "score")


@dataclass(frozen=True)
class ReelOptions:
    """How a reel is put together; times in seconds."""

    top: int = 10
    order: str = "time"
    # A compilation's pace: 3-6 s per moment shows the fail and its payoff, no more.
    cut_min: float = 3.0
    cut_max: float = 6.0
    # Of a cut, the share before the peak: enough to see it coming, most of it after.
    lead: float = 0.4
    transition: float = 0.3  # crossfade between neighbouring parts
    title_length: float = 2.0
    ending_length: float = 3.0
    # A minute: long enough for ten moments at their shortest, and within every
    # platform's limit but Stories' (which is exactly that).
    max_length: float = 60.0

    def checked(self) -> ReelOptions:
        if self.order not in ORDERS:
            raise PresetError(f"reel order {not_one_of(self.order, ORDERS)}")
        if not 0 < self.cut_min <= self.cut_max:
            raise PresetError("reel cuts need 0 < cut_min <= cut_max")
        if self.top < 1 or self.transition < 0 or self.transition * 2 >= self.cut_min:
            raise PresetError("a reel needs top >= 1 and transitions under half a cut")
        return self

    @classmethod
    def for_preset(cls, preset: str, **values: Any) -> ReelOptions:
        """Options with ``max_length`` held to the preset's platform's limit."""
        opts = cls(**values)
        most = PLATFORM_MAX_SECONDS.get(preset)
        return replace(opts, max_length=min(opts.max_length, most)) if most else opts


@dataclass(frozen=True)
class ReelPart:
    """One part of the reel: the title card, a moment, or the ending."""

    kind: str  # "title", "moment" or "ending"
    at: float  # where it starts in the reel
    length: float
    source: str = ""  # "" for the title card
    start: float = 0.0  # in the source
    number: int = 0  # the moment's number on its card (0: none)
    caption: str = ""
    clip: str = ""  # the clip (its output) the moment or ending comes from
    score: float = 0.0
    # The ending is one frame held (the clip's recovery_still): its footage had no calm
    # stretch after the mishap.
    still: bool = False


@dataclass(frozen=True)
class ReelPlan:
    """A reel as data: JSON-serialisable, editable, rendered later."""

    title: str
    parts: tuple[ReelPart, ...]
    transition: float

    @property
    def duration(self) -> float:
        last = self.parts[-1]
        return round(last.at + last.length, 3)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "transition": self.transition,
                "parts": [asdict(p) for p in self.parts]}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReelPlan:
        parts = tuple(ReelPart(**p) for p in data["parts"])
        return cls(str(data["title"]), parts, float(data["transition"]))


def default_title(day: date) -> str:
    """ "Fail Friday" and the date, e.g. "Fail Friday, 4 December 2026"."""
    return f"Fail Friday, {day.day} {day:%B %Y}"


def ranked(plans: Sequence[ClipPlan]) -> list[ClipPlan]:
    """Best first; ties by source name and time, so the choice never depends on input order."""
    return sorted(plans, key=lambda p: (-p.score, Path(p.source).name, p.peak))


def cut_around(plan: ClipPlan, length: float, lead: float) -> tuple[float, float]:
    """``length`` s around the peak (``lead`` of it before), slid to stay inside the
    clip's window (all of the window when it is shorter)."""
    length = min(length, plan.end - plan.start)
    start = min(max(plan.start, plan.peak - lead * length), plan.end - length)
    return round(start, 3), round(start + length, 3)


def _ending(chosen: Sequence[ClipPlan]) -> ClipPlan | None:
    """The plan whose recovery shot ends the reel: the best moment's that has one."""
    return next((p for p in ranked(chosen) if p.recovery and p.recovery_source), None)


def _total(n: int, cut: float, ending: float, opts: ReelOptions) -> float:
    parts = 1 + n + (1 if ending else 0)
    return opts.title_length + n * cut + ending - (parts - 1) * opts.transition


def _fit(chosen: list[ClipPlan], opts: ReelOptions) -> tuple[list[ClipPlan], float, float]:
    """The moments kept, the cut length and the ending's length within max_length:
    cuts shortened first (down to cut_min), then the weakest moments dropped."""
    while chosen:
        end = _ending(chosen)
        ending = (
            min(opts.ending_length, end.recovery[1] - end.recovery[0])
            if end and end.recovery
            else 0.0
        )
        spare = opts.max_length - _total(len(chosen), 0.0, ending, opts)
        cut = min(opts.cut_max, math.floor(spare / len(chosen) * 1000) / 1000)  # ms, down
        if cut >= opts.cut_min:
            return chosen, cut, ending
        chosen = ranked(chosen)[:-1]
    return [], 0.0, 0.0


def _after(part: ReelPart, transition: float) -> float:
    """Where the next part starts: as ``part`` fades out."""
    return round(part.at + part.length - transition, 3)


def _ordered(
    chosen: list[ClipPlan], opts: ReelOptions, order_of: Mapping[str, float]
) -> list[tuple[int, ClipPlan]]:
    """(number, plan) in the reel's order: time order numbered up, or a countdown."""
    if opts.order == "score":
        best_first = ranked(chosen)
        return [(i + 1, p) for i, p in reversed(list(enumerate(best_first)))]
    by_time = sorted(chosen, key=lambda p: (order_of.get(p.source, 0.0), p.source, p.peak))
    return [(i, p) for i, p in enumerate(by_time, start=1)]


def plan_reel(
    plans: Sequence[ClipPlan],
    title: str,
    opts: ReelOptions | None = None,
    recorded: Mapping[str, float] | None = None,
) -> ReelPlan | None:
    """The reel of the best of ``plans``; None when there are none (nothing to make).
    ``recorded`` gives each source's recording time (for time order across files;
    files without one keep the order of their names)."""
    opts = (opts or ReelOptions()).checked()
    chosen, cut, ending_len = _fit(ranked(plans)[: opts.top], opts)
    if not chosen:
        return None
    parts = [ReelPart("title", 0.0, opts.title_length, caption=title)]
    for number, p in _ordered(chosen, opts, recorded or {}):
        start, end = cut_around(p, cut, opts.lead)
        at = _after(parts[-1], opts.transition)
        parts.append(ReelPart("moment", at, round(end - start, 3), p.source, start, number,
                              p.caption or "", p.output, p.score))  # fmt: skip
    best = _ending(chosen)
    if best is not None and best.recovery is not None and best.recovery_source:
        parts.append(ReelPart("ending", _after(parts[-1], opts.transition), round(ending_len, 3),
                              best.recovery_source, best.recovery[0],
                              caption=best.recovery_caption or "", clip=best.output,
                              score=best.score, still=best.recovery_still))  # fmt: skip
    return ReelPlan(title, tuple(parts), opts.transition)


def reel_timeline(reel: ReelPlan, fps: float, name: str, size: tuple[int, int]) -> EditTimeline:
    """The reel's moments and ending as an editor's timeline (clipkit.posts.timeline),
    as straight cuts: the title card and the crossfades are the editor's to add."""
    rate = frame_rate(fps)
    cuts: list[Cut] = []
    for part in reel.parts:
        if not part.source:
            continue
        # Both ends on their nearest frames, as a clip's cuts (rounding the length
        # instead could leave the out point a frame off the planned end).
        a, b = frame_span(part.start, part.start + part.length, rate)
        caption = f"#{part.number} {part.caption}".strip() if part.number else part.caption
        rec_in = cuts[-1].rec_in + cuts[-1].frames if cuts else 0
        cuts.append(Cut(str(Path(part.source).resolve()), a, b, rec_in,
                        Path(part.clip).stem, part.kind, caption, part.still))  # fmt: skip
    return EditTimeline(name, rate, tuple(cuts), size)


__all__ = [
    "ReelOptions",
    "ReelPart",
    "ReelPlan",
    "PLATFORM_MAX_SECONDS",
    "default_title",
    "cut_around",
    "plan_reel",
    "ranked",
    "reel_timeline",
]
