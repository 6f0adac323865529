"""What every event painter shares: the frame it is painted into, its timeline, the
sounds it makes, and the look of the scene where it happens.

An event is planned from a random generator and the frame's size alone (so its
timeline, and the label, are known before any footage is read), then shown the
background at its start (``prepare``: the light there, the colours around), then drawn
at any instant of its timeline (``draw``). Times are seconds from the event's start:
the instant it begins to move or appear.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from tools.eventgen.layer import Layer, average

# Instants averaged into one frame while something moves: 5 over the open shutter draw
# a fall of 20 px in a frame as a smooth streak at the detector's scale; a faster one
# gets an instant for every third of its thickness it moves, up to MAX_SUBFRAMES.
SUBFRAMES = 5
MAX_SUBFRAMES = 24
# The scene's brightness at which a painted object shows its own colours (mean grey
# level around it): a typical lit kitchen counter. Darker scenes dim it, by this power
# (cameras lift dark scenes, so objects dim less than the light does)...
LIT_LEVEL = 150.0
LIGHT_POWER = 0.7
# ...but never below 0.3 or above 1.15 of its colours: night scenes still show
# what falls, and a bright scene does not turn it white.
LIGHT_RANGE = (0.3, 1.15)
# A creator's mishap is seen at once: what an event paints stands out from the
# background where it happens by at least 40 grey levels (lighter or darker; the
# detector sees grey)...
STAND_OUT = 40.0
# ...or, where nothing on offer can (a dim scene), by a clear change of hue: this far
# apart in CIELAB's a*b* plane (red on a green board is about 90, beige on wood 17).
DISTINCT_HUE = 40.0
# A few events (a brown egg on a wooden board) barely stand out: 20-35 grey levels
# from the background around them, on average.
LOW_CONTRAST = 0.10
FAINT = (20.0, 35.0)
# Luma weights of B, G, R (Rec. 601, as ffmpeg's grey).
LUMA = np.array([0.114, 0.587, 0.299], np.float32)
# Grey levels of the background sampled to judge what stands out there.
GREY_SAMPLES = 4096


@dataclass(frozen=True)
class Geometry:
    """The frame an event is planned for."""

    width: int
    height: int
    fps: float

    @property
    def unit(self) -> float:
        """The scale sizes are given in: the side of a square of the frame's area (480
        px for 640x360), so portrait and landscape frames get objects of one size."""
        return math.sqrt(self.width * self.height)


@dataclass(frozen=True)
class Hit:
    """A sound the event makes: at ``t`` s from its start, of a ``sound`` kind ("thud",
    "clink", "crack", "splash", "fizz", "whoosh"), ``strength`` 0..1 relative to the
    event's loudest, lasting ``length`` s (0 for an impact, which rings as it rings)."""

    t: float
    sound: str
    strength: float = 1.0
    length: float = 0.0


@dataclass
class Scene:
    """What an event learns from the background at its start."""

    light: float = 1.0  # brightness factor for painted colours there
    around: np.ndarray = field(default_factory=lambda: np.full(3, 128, np.float32))  # BGR
    frame: np.ndarray | None = None  # the frame itself (for texture patches)
    greys: np.ndarray = field(default_factory=lambda: np.full(1, 128, np.float32))  # a sample

    def gap(self, look: np.ndarray, cover: float = 1.0) -> float:
        """How far (mean absolute grey levels) something of colour ``look`` (BGR, as
        painted) hiding ``cover`` of it changes the background here: against a counter
        half white, half dark wood, grey stands out from both halves, not from neither."""
        return cover * float(np.abs(luma(look) - self.greys).mean())

    def hue(self, look: np.ndarray) -> float:
        """How far ``look``'s hue is from the background's mean colour (CIELAB a*b*)."""
        return float(np.linalg.norm(_ab(look) - _ab(self.around)))


class Event(ABC):
    """One synthetic event. Subclasses set ``duration`` (start to settled), ``appear``
    (when it first shows, 0 unless it falls into view), ``before`` (drawn before its
    start: an object standing there all along), ``hits`` and ``where`` (the point it
    happens at, and a radius around it, for ``prepare``)."""

    kind: str = ""
    duration: float = 0.0
    appear: float = 0.0
    before: bool = False
    hits: list[Hit]
    where: tuple[float, float, float] = (0.0, 0.0, 1.0)

    def __init__(self, rng: np.random.Generator, geo: Geometry) -> None:
        self.geo = geo
        self.hits = []
        self.scene = Scene()

    def prepare(self, frame: np.ndarray, rng: np.random.Generator) -> None:
        """Look at the background ``frame`` at the event's start."""
        self.scene = look(frame, *self.where)

    @abstractmethod
    def draw(self, t: float, shutter: float) -> Layer | None:
        """The layer at ``t`` s from the start, the shutter open for ``shutter`` s around
        it; None where nothing shows."""


def look(frame: np.ndarray, x: float, y: float, r: float) -> Scene:
    """The background of ``frame`` within ``r`` px of (x, y) (see backdrop)."""
    r = max(r, 4.0)
    return backdrop(frame, x - r, y - r, x + r, y + r)


def backdrop(frame: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> Scene:
    """The light, mean colour and grey levels of ``frame`` in the box (x0, y0)-(x1, y1)
    (cut to the frame)."""
    h, w = frame.shape[:2]
    a0, a1 = int(np.clip(x0, 0, w - 1)), int(np.clip(x1, 1, w))
    b0, b1 = int(np.clip(y0, 0, h - 1)), int(np.clip(y1, 1, h))
    patch = frame[b0 : max(b1, b0 + 1), a0 : max(a1, a0 + 1)].reshape(-1, 3).astype(np.float32)
    around = patch.mean(axis=0)
    grey = luma(around)
    light = float(np.clip((max(grey, 1.0) / LIT_LEVEL) ** LIGHT_POWER, *LIGHT_RANGE))
    greys = patch[:: max(len(patch) // GREY_SAMPLES, 1)] @ LUMA
    return Scene(light, around, frame, greys.astype(np.float32))


def luma(bgr: np.ndarray) -> float:
    """The grey level of a BGR colour (0..255)."""
    return float(np.asarray(bgr, np.float32) @ LUMA)


def _ab(bgr: np.ndarray) -> np.ndarray:
    px = np.clip(np.asarray(bgr, np.float32), 0, 255).reshape(1, 1, 3) / 255
    return cv2.cvtColor(px, cv2.COLOR_BGR2Lab)[0, 0, 1:]


def pick_standing_out(
    rng: np.random.Generator, gaps: list[float], hues: list[float] | None = None
) -> int:
    """Which of several looks to use, given how far each stands out from the background
    (``gaps``, see Scene.gap; ``hues``, see Scene.hue): one at random of those STAND_OUT
    grey levels from it; where none is, of those of a DISTINCT_HUE at least FAINT[0]
    levels from it; else the one that differs most in grey."""
    g = np.asarray(gaps, np.float64)
    ok = np.flatnonzero(g >= STAND_OUT)
    if not ok.size and hues is not None:
        ok = np.flatnonzero((np.asarray(hues) >= DISTINCT_HUE) & (g >= FAINT[0]))
    if not ok.size:
        ok = np.array([int(np.argmax(g))])
    return int(ok[int(rng.integers(ok.size))])


def pick_faint(rng: np.random.Generator, gaps: list[float]) -> int:
    """Which of several looks barely stands out (``gaps`` as for pick_standing_out): one
    at random of those within FAINT, else the nearest above it, else the furthest below."""
    g = np.asarray(gaps, np.float64)
    ok = np.flatnonzero((g >= FAINT[0]) & (g <= FAINT[1]))
    if ok.size:
        return int(ok[int(rng.integers(ok.size))])
    above = np.flatnonzero(g >= FAINT[0])
    if above.size:
        return int(above[int(np.argmin(g[above]))])
    return int(np.argmax(g))


def standing_out(
    rng: np.random.Generator, looks: list[np.ndarray], scene: Scene, faint: bool = False
) -> int:
    """Which of ``looks`` (opaque BGR colours as painted) stands out from ``scene``
    (see pick_standing_out), or (``faint``) barely does (see pick_faint)."""
    gaps = [scene.gap(c) for c in looks]
    if faint:
        return pick_faint(rng, gaps)
    return pick_standing_out(rng, gaps, [scene.hue(c) for c in looks])


def noise_level(frame: np.ndarray) -> float:
    """The footage's grain, in grey levels (a robust standard deviation of what a
    1-px blur takes away), 0.5-4: what a painted object gets added so it is no
    cleaner than the picture around it."""
    g = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)
    hp = g - cv2.GaussianBlur(g, (0, 0), 1.0)
    # 1.4826 * median absolute value: the standard deviation of Gaussian noise.
    return float(np.clip(1.4826 * np.median(np.abs(hp)), 0.5, 4.0))


def blurred(
    at: Callable[[float], Layer | None], t: float, shutter: float, n: int = SUBFRAMES
) -> Layer | None:
    """What a camera records of a moving thing drawn by ``at`` over a shutter open for
    ``shutter`` s around ``t``: the mean of ``n`` instants (SUBFRAMES, or more for a
    thing that moves further than a fraction of its size meanwhile)."""
    if shutter <= 0:
        return at(t)
    steps = (np.arange(n) / (n - 1) - 0.5) * shutter
    layers = [la for la in (at(t + float(d)) for d in steps) if la is not None]
    if not layers:
        return None
    if len(layers) < n:  # shown for part of the exposure: fainter
        out = average(layers)
        assert out is not None
        k = len(layers) / n
        out.rgb *= k
        out.a *= k
        return out
    return average(layers)


def soft_ellipse(
    cx: float, cy: float, rx: float, ry: float, opacity: float, colour: np.ndarray | None = None
) -> Layer:
    """A soft-edged elliptical layer (a shadow when ``colour`` is None, else a tint)."""
    x0, y0 = int(math.floor(cx - 1.6 * rx)), int(math.floor(cy - 1.6 * ry))
    x1, y1 = int(math.ceil(cx + 1.6 * rx)) + 1, int(math.ceil(cy + 1.6 * ry)) + 1
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    d2 = ((xx - cx) / max(rx, 0.5)) ** 2 + ((yy - cy) / max(ry, 0.5)) ** 2
    a = (opacity * np.exp(-1.5 * d2)).astype(np.float32)
    rgb = np.zeros(a.shape + (3,), np.float32)
    if colour is not None:
        rgb += a[..., None] * colour
    return Layer(x0, y0, rgb, a)
