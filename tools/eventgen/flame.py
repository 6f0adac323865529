"""A flame flaring up: oil catching fire in a pan, a burst from a burner.

The flame bursts up within 0.06-0.25 s, flickers at full height for a moment and dies
back over 0.3-1.2 s. It is light, not paint: its colour is added to the picture (from
dark red at its edges through orange to a yellow-white core), and a wide glow around it
raises the brightness of everything near it, as a real flare lights up a stove.
"""

from __future__ import annotations

import math

import numpy as np

from tools.eventgen.events import Event, Geometry, Hit, luma
from tools.eventgen.layer import Layer

# Flame colours by intensity (BGR): dark red, orange, yellow, yellow-white core.
STOPS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
COLOURS = np.array([[0, 0, 0], [0, 30, 170], [10, 110, 255], [50, 190, 255], [190, 245, 255]],
                   np.float32)  # fmt: skip
# The glow's tint (BGR): warm orange light.
GLOW = np.array([60, 150, 255], np.float32) / 255
# The envelope ends at exp(-3) = 5 % of full height: the flare has died back.
DECAY_TAUS = 3.0
# Flames flare up 8-25 % of the frame's unit tall (at 640x360: 40-120 px).
TALL = (0.08, 0.25)
# Over a bright background (a white table or tiled wall) a flame's light adds little
# that shows: from the first grey level to the second it is drawn ever more as orange
# paint over the scene (the camera's view of a flame in daylight) and less as added
# light. (Below 200 added light shows best: from 120 on, paint lost 30-45 levels of
# contrast over 180-195 walls; at 220-235 it gained 60.)
BRIGHT = (200.0, 220.0)
# Flame tongues flicker at 6-14 Hz.
FLICKER_HZ = (6.0, 14.0)


class Flame(Event):
    """A flare of flame at a point, bursting up, flickering and dying back."""

    kind = "flame"

    def __init__(self, rng: np.random.Generator, geo: Geometry) -> None:
        super().__init__(rng, geo)
        w, h, u = geo.width, geo.height, geo.unit
        self.bx, self.by = w * rng.uniform(0.15, 0.85), h * rng.uniform(0.35, 0.92)
        self.tall = u * rng.uniform(*TALL)
        self.width = self.tall * rng.uniform(0.3, 0.7)  # a bushy flare, not a torch
        self.t_rise = rng.uniform(0.06, 0.25)
        self.t_hold = rng.uniform(0.15, 0.8)
        self.t_decay = rng.uniform(0.3, 1.2)
        self.duration = self.t_rise + self.t_hold + self.t_decay
        self.freq = rng.uniform(*FLICKER_HZ, 3)
        self.phase = rng.uniform(0, 2 * np.pi, 6)
        self.emit = rng.uniform(0.75, 1.0)  # how bright its core is
        self.glow = rng.uniform(8, 35)  # grey levels of light the glow adds at its centre
        self.where = (self.bx, self.by, self.width)
        self.hits = [Hit(0.0, "whoosh", 1.0, self.t_rise + self.t_hold)]
        self.opaque = 0.0  # 0: light added to the scene; 1: orange paint over it

    def prepare(self, frame: np.ndarray, rng: np.random.Generator) -> None:
        super().prepare(frame, rng)
        lo, hi = BRIGHT
        self.opaque = float(np.clip((luma(self.scene.around) - lo) / (hi - lo), 0, 1))

    def envelope(self, t: float) -> float:
        """Flame height, 0..1 of its peak, at ``t`` s."""
        if t < 0 or t >= self.duration:
            return 0.0
        if t < self.t_rise:
            s = t / self.t_rise
            return 1 - (1 - s) ** 2
        if t < self.t_rise + self.t_hold:
            return 1.0
        return math.exp(-DECAY_TAUS * (t - self.t_rise - self.t_hold) / self.t_decay)

    def draw(self, t: float, shutter: float) -> Layer | None:
        env = self.envelope(t)
        if env <= 0:
            return None
        flicker = 1 + 0.12 * float(np.mean(np.sin(2 * np.pi * self.freq * t + self.phase[:3])))
        h = max(self.tall * env * flicker, 2.0)
        wd = self.width * (0.6 + 0.4 * env)
        glow = self._glow(env, h)
        x0, y0 = int(self.bx - 1.5 * wd), int(self.by - 1.25 * h)
        x1, y1 = int(self.bx + 1.5 * wd) + 2, int(self.by + 0.15 * wd) + 2
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        v = (self.by - yy) / h  # 0 at the base, 1 at the tip
        vp = np.clip(v, 0, None)
        sway = (
            wd * 0.25 * vp**1.5 * np.sin(2 * np.pi * self.freq[0] * 0.5 * t - 4 * v + self.phase[3])
        )
        uu = (xx - self.bx - sway) / (wd / 2)
        half = (
            np.clip(1.8 * np.sqrt(np.clip(v + 0.05, 0, None)), 0, 1) * np.clip(1 - v, 0, 1) ** 0.8
        )
        core = np.clip(1 - (uu / np.maximum(half, 1e-3)) ** 2, 0, 1) * (half > 0)
        # Turbulence rising through it, and ragged tongues at the top.
        turb = 0.65 + 0.35 * np.sin(5 * uu + 9 * (v - 2.2 * t) + self.phase[4]) * np.sin(
            3 * uu - 7 * (v - 1.7 * t) + self.phase[5]
        )
        tongues = np.clip(1.3 - v * (1 + 0.6 * np.sin(6 * uu + 11 * t + self.phase[0])), 0, 1)
        inten = np.clip(core**0.6 * turb * tongues * (1 - 0.4 * vp), 0, 1)
        # Partly light added, partly the flame's own colour over the scene: a camera
        # records a flame's orange even over a bright wall. Over a bright scene it is
        # orange to yellow throughout (no dark red fringe greying the wall) and denser.
        o = self.opaque
        tone = (1 - o) * inten + o * (0.3 + 0.4 * inten)

        def colour(x: np.ndarray) -> np.ndarray:
            return np.stack([np.interp(x, STOPS, COLOURS[:, c]) for c in range(3)], -1)

        cover = (1 - o) * 0.75 * inten**0.7 + o * 0.95 * np.sqrt(inten)
        rgb = colour(tone) * cover[..., None] + colour(inten) * (0.5 * (1 - o))
        flame = Layer(x0, y0, (rgb * self.emit).astype(np.float32), cover.astype(np.float32))
        return flame.over(glow)

    def _glow(self, env: float, h: float) -> Layer:
        """Warm light cast around the flame: added brightness, fading with distance."""
        sigma = 0.5 * h + self.width  # it lights the stove around it, not the room
        cy = self.by - 0.4 * h
        r = 2.2 * sigma  # beyond 2.2 sigma the glow would add under a tenth of its peak
        x0, y0 = max(int(self.bx - r), 0), max(int(cy - r), 0)
        x1 = max(min(int(self.bx + r) + 1, self.geo.width), x0 + 1)
        y1 = max(min(int(cy + r) + 1, self.geo.height), y0 + 1)
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        d2 = (xx - self.bx) ** 2 + (yy - cy) ** 2
        # (Tapered to nothing at r: a glow cut off there showed its box on a white wall.)
        g = self.glow * env * np.exp(-d2 / (2 * sigma**2)) * np.clip(1 - d2 / r**2, 0, 1) ** 2
        return Layer(x0, y0, (g[..., None] * GLOW).astype(np.float32), np.zeros_like(g))
