"""Planning one synthetic clip from its seed: which stretch of the background, which
event where and when, how the camera moves, how hard it is compressed.

Everything random about a clip comes from its one seed, split into independent streams
(planning, painting, sound), so that the clip without its event (the test's
reference) gets the very same segment and camera motion, and so that a clip never
depends on which worker made it or what was made before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tools.eventgen.backgrounds import Background, Window, free_spans, shifted
from tools.eventgen.camera import CameraMove, choose
from tools.eventgen.events import Event, Geometry
from tools.eventgen.flame import Flame
from tools.eventgen.foam import Foam
from tools.eventgen.liquid import Splash
from tools.eventgen.rigid import Fall, Knock
from tools.eventgen.scene import frame_size

PAINTERS: dict[str, type[Event]] = {
    "fall": Fall, "knock": Knock, "splash": Splash, "foam": Foam, "flame": Flame,
}  # fmt: skip
# Longer backgrounds are cut to a segment of at most 12 s: several events per long clip
# would otherwise share one stretch of footage, and short clips are quick to make.
SEGMENT_MAX = 12.0
# Events start at least 0.5 s into a clip and settle 0.3 s before its end (real
# recordings often stop right after an event)...
HEAD = 0.5
TAIL = 0.3
# ...and stay 0.1 s clear of the background's ignore windows.
GAP = 0.1
# Tries at a segment and an event that fit; after half of them, only falls (the
# shortest events) are tried.
ATTEMPTS = 60
# x264 quality: crf 23 (clean) to 28 (a phone's or a platform's compression).
CRF = (23, 28)
# The shutter is open for 25-100 % of a frame's time (bright daylight to a dim room).
SHUTTER = (0.25, 1.0)
# Random streams of a clip's seed, by use (the camera's path has its own seed, drawn in "plan").
STREAMS = ("plan", "paint", "sound")


class PlanError(RuntimeError):
    """No place for an event in a background (the message names it)."""


@dataclass
class ClipPlan:
    """Everything that decides one synthetic clip."""

    name: str  # file name in the corpus
    background: Background
    seed: int
    start: float  # segment start in the background, s
    length: float  # segment length, s
    size: tuple[int, int]  # frame width, height
    camera: CameraMove
    crf: int
    shutter: float  # s
    event: Event | None = None
    event_start: float = 0.0  # s into the clip
    ignore: list[Window] = field(default_factory=list)

    def rng(self, stream: str) -> np.random.Generator:
        """The clip's random stream for ``stream`` (see STREAMS)."""
        seqs = np.random.SeedSequence(self.seed).spawn(len(STREAMS))
        return np.random.default_rng(seqs[STREAMS.index(stream)])

    @property
    def window(self) -> Window | None:
        """The event's label: from when it begins to move or show to when it has settled."""
        if self.event is None:
            return None
        a = self.event_start + self.event.appear
        return (round(a, 2), round(self.event_start + self.event.duration, 2))

    def label(self) -> dict[str, Any]:
        w = self.window
        return {
            "events": [list(w)] if w else [],
            "ignore": [list(x) for x in self.ignore],
            "background": self.background.name,
            "kind": self.event.kind if self.event else "none",
            "seed": self.seed,
        }


def room(bg: Background) -> float:
    """The longest stretch of ``bg`` where an event could go (in its best segment)."""
    spans = free_spans(bg.duration, list(bg.ignore), HEAD, TAIL, GAP)
    return max((min(b - a, SEGMENT_MAX - HEAD - TAIL) for a, b in spans), default=0.0)


def plan_clip(name: str, bg: Background, kind: str, seed: int) -> ClipPlan:
    """The plan of clip ``name``: an event of ``kind`` ("none": no event) in ``bg``."""
    seqs = np.random.SeedSequence(seed).spawn(len(STREAMS))
    rng = np.random.default_rng(seqs[STREAMS.index("plan")])
    size = frame_size(bg.width, bg.height)
    geo = Geometry(size[0], size[1], bg.fps)
    length = min(bg.duration, SEGMENT_MAX)
    crf = int(rng.integers(CRF[0], CRF[1] + 1))
    shutter = float(rng.uniform(*SHUTTER)) / bg.fps
    camera = choose(rng)
    for attempt in range(ATTEMPTS):
        start = float(rng.uniform(0, bg.duration - length)) if bg.duration > length else 0.0
        ignore = shifted(bg.ignore, start, length)
        plan = ClipPlan(name, bg, seed, round(start, 3), length, size, camera, crf, shutter,
                        ignore=ignore)  # fmt: skip
        if kind == "none":
            return plan
        event = PAINTERS[kind if attempt < ATTEMPTS // 2 else "fall"](rng, geo)
        # The label [start + appear, start + duration] must fit in a free span.
        ranges = [(a - event.appear, b - event.duration)
                  for a, b in free_spans(length, ignore, HEAD, TAIL, GAP)]  # fmt: skip
        ranges = [(a, b) for a, b in ranges if b >= a]
        if not ranges:
            continue
        sizes = np.array([b - a for a, b in ranges]) + 1e-6
        i = int(rng.choice(len(ranges), p=sizes / sizes.sum()))
        plan.event = event
        plan.event_start = float(rng.uniform(*ranges[i]))
        return plan
    raise PlanError(f"{bg.name}: no room for an event outside its ignore windows")
