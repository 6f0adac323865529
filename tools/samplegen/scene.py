"""What a sample scene is: its shots, its happenings and their timing, and the labels
that follow from them (the ground truth is computed from the same description that the
painter draws and the sound mixer hears)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

RGB = tuple[int, int, int]

MISHAPS = ("drop", "spill")
# Label windows start a little before the burst (a detector's smoothing can move its
# peak earlier) and end a little after it (the impact sound rings on).
PAD_BEFORE = 0.2
PAD_AFTER = 0.3

# A dropped object: seconds from release to the first impact, the share of speed kept
# at each bounce, how many bounces are visible, and how long it rolls afterwards.
DROP_FALL = 0.36
DROP_KEEP = 0.42
DROP_BOUNCES = 3
DROP_ROLL = 0.3
# A spill: the glass tips for 0.3 s, then liquid and droplets fly for ~0.7 s.
SPILL_TIP = 0.3
SPILL_BURST = 1.0
PAN_FAST, PAN_HOLD, PAN_BACK = 0.5, 2.5, 3.0  # whip away, look, drift slowly back
LIGHT_OFF = 1.2  # seconds the room light stays off


@dataclass(frozen=True)
class Shot:
    """A stretch of one continuous camera set-up."""

    start: float
    end: float
    work: str  # "stir", "chop" (sustained normal work) or "dish" (calm finished plate)
    surface: str  # "wood", "stone" or "marble"


@dataclass(frozen=True)
class Happening:
    """Something sudden: a mishap ("drop", "spill") or a hard negative ("pan",
    "light" switched off and on, "loud" sound with no motion)."""

    kind: str
    start: float
    x: float = 0.72  # where in the frame (0..1 across, down) it happens
    y: float = 0.7
    color: RGB = (200, 40, 30)

    @property
    def mishap(self) -> bool:
        return self.kind in MISHAPS

    def span(self) -> tuple[float, float]:
        """When the burst of motion (or sound) starts and ends."""
        lengths = {
            "drop": drop_impacts()[-1] + DROP_ROLL,
            "spill": SPILL_BURST,
            "pan": PAN_FAST,
            "light": LIGHT_OFF + 0.2,
            "loud": 0.8,
        }
        return self.start, self.start + lengths[self.kind]


@dataclass(frozen=True)
class SceneSpec:
    """One sample file: what happens when, and how the camera behaves."""

    name: str
    duration: float
    seed: int
    shots: tuple[Shot, ...]
    happenings: tuple[Happening, ...] = ()
    width: int = 640  # as displayed
    height: int = 360
    fps: float = 30.0  # nominal; a VFR scene wobbles around it
    handheld: bool = False
    # How far a handheld camera wanders, as a fraction of the frame width: the unit the
    # detector measures camera motion in, whatever the orientation.
    shake: float = 0.04
    rotate: bool = False  # code frames landscape and ask players to turn them (phones do)
    vfr: bool = False
    hand_in: float = 1.5  # the hand leaves the lens over the first seconds
    hand_out: float = 1.8  # and reaches to cover it over the last ones
    notes: str = ""

    def shot_at(self, t: float) -> Shot:
        for shot in self.shots:
            if t < shot.end:
                return shot
        return self.shots[-1]

    def recovery(self) -> tuple[float, float]:
        """The calm finished-dish window, clear of the cut before it and the hand after it."""
        dish = next(s for s in self.shots if s.work == "dish")
        return round(dish.start + 0.3, 2), round(self.duration - self.hand_out - 0.2, 2)


def drop_impacts() -> list[float]:
    """Seconds after release at which a dropped object hits the counter."""
    g = 2.0 / DROP_FALL**2  # in drop heights per s^2
    v, t, out = g * DROP_FALL, DROP_FALL, [DROP_FALL]
    for _ in range(DROP_BOUNCES):
        v *= DROP_KEEP
        t += 2 * v / g
        out.append(t)
    return out


def drop_height(tau: float) -> float:
    """Height above the counter, in drop heights, ``tau`` s after release."""
    g = 2.0 / DROP_FALL**2
    if tau < DROP_FALL:
        return 1.0 - 0.5 * g * tau * tau
    impacts = drop_impacts()
    v = g * DROP_FALL
    for a, b in zip(impacts[:-1], impacts[1:], strict=True):
        v *= DROP_KEEP
        if tau < b:
            s = tau - a
            return v * s - 0.5 * g * s * s
    return 0.0


def ease(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3 - 2 * x)


class Labels(TypedDict):
    """One file's entry in labels.yaml."""

    events: list[list[float]]
    ignore: list[list[float]]
    recovery: list[float]
    notes: str


def labels(spec: SceneSpec) -> Labels:
    """Ground truth for one scene, in the format of footage/labels.yaml."""
    events = []
    for h in spec.happenings:
        if h.mishap:
            a, b = h.span()
            events.append([round(max(0.0, a - PAD_BEFORE), 2), round(b + PAD_AFTER, 2)])
    return {"events": events, "ignore": [], "recovery": list(spec.recovery()), "notes": spec.notes}


def cover_at(spec: SceneSpec, t: float) -> float:
    """How far the hand has come towards the lens at ``t``: 1 = lens covered."""
    start = 1.0 - ease(t / spec.hand_in)
    return max(start, ease((t - (spec.duration - spec.hand_out)) / spec.hand_out))
