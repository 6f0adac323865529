"""A pot boiling over: bubbly foam (milk, soup, sauce) rising above a rim and running
down the side.

The rim is a horizontal line in the scene, or the front edge of a pot painted into it
(standing there from the first frame, as a pot on a stove would). The foam grows from
the rim as a dome, slowly at first and then fast (a smoothstep over 1.5-4 s), spreads a
little past the rim's ends as it overflows, and then runs down the side in a few
streams that slow as they lengthen. Its bubbles drift upwards with it.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from tools.eventgen.events import (
    STAND_OUT,
    Event,
    Geometry,
    Hit,
    backdrop,
    luma,
    pick_standing_out,
)
from tools.eventgen.layer import Layer
from tools.eventgen.sprites import bgr

# Foam (RGB), by how often it boils over: milk or pasta water (white, a cream tint),
# soup or porridge (cream), tomato sauce, cocoa or jam. The one shown is picked from
# those that stand out from the background where it rises (white most often).
FOAMS = {
    "milk": (0.55, (248, 245, 234)),
    "soup": (0.2, (236, 222, 176)),
    "tomato": (0.15, (222, 104, 66)),
    "cocoa": (0.1, (150, 102, 70)),
}
# The liquid inside the pot before it rises: the foam's colour, a little darker.
LIQUID = 0.9
# Foam is 15-40 % of the frame's width across (the rim's width)...
WIDTH = (0.15, 0.40)
# ...and rises 12-30 % of that above the rim.
TALL = (0.12, 0.30)
# Pots: steel, dark non-stick, red and cream enamel (RGB).
POTS = ((150, 154, 160), (46, 46, 50), (150, 40, 32), (226, 218, 196))
# Share of boil-overs with a painted pot (the rest rise from a line in the scene).
POT = 0.5
# Foam spreads past the rim's ends by up to 12 % of the rim's width as it overflows.
OVERHANG = 0.12
# A stream down the side reaches 95 % of its length after three time constants.
SETTLE_TAUS = 3.0


class Foam(Event):
    """Foam rising over a rim and running down the side."""

    kind = "foam"

    def __init__(self, rng: np.random.Generator, geo: Geometry) -> None:
        super().__init__(rng, geo)
        w, h = geo.width, geo.height
        self.half = w * rng.uniform(*WIDTH) / 2  # half the rim's width
        self.cx = rng.uniform(self.half * 1.15, w - self.half * 1.15)
        self.rim = h * rng.uniform(0.3, 0.8)
        self.tall = 2 * self.half * rng.uniform(*TALL)  # the dome's final height above the rim
        self.rise = rng.uniform(1.5, 4.0)
        self.pot = rng.random() < POT
        self.lip = self.half * rng.uniform(0.12, 0.25) if self.pot else 0.0
        self.depth = self.half * rng.uniform(0.5, 1.0)
        self.foam_colour = bgr(FOAMS["milk"][1])
        self.pot_colour = bgr(POTS[0])
        n = int(rng.integers(1, 5))
        self.drip_x = self.cx + self.half * rng.uniform(-0.9, 0.9, n)
        self.drip_w = 2 * self.half * rng.uniform(0.03, 0.08, n)
        self.drip_len = np.minimum(2 * self.half * rng.uniform(0.1, 0.5, n), self.depth * 1.2)
        self.drip_t = self.rise * rng.uniform(0.75, 1.0, n)
        self.drip_tau = rng.uniform(0.15, 0.45, n)
        self.duration = float(max(self.rise, (self.drip_t + SETTLE_TAUS * self.drip_tau).max()))
        self.where = (self.cx, self.rim, self.half)
        self.before = self.pot  # the pot stands there from the first frame
        self.hits = [Hit(0.0, "fizz", 1.0, self.rise)]
        # Canvas: the rim's width and overhang, the dome above, the streams below.
        x0 = int(self.cx - self.half * (1 + OVERHANG)) - 3
        x1 = int(self.cx + self.half * (1 + OVERHANG)) + 4
        y0 = int(self.rim - self.lip - self.tall * 1.3) - 4
        y1 = int(self.rim + self.lip + max(self.depth, float(self.drip_len.max())) * 1.1) + 4
        self.box = (x0, y0, x1, y1)
        xs = np.arange(x0, x1, dtype=np.float64)
        q = (xs - self.cx) / self.half
        inside = np.sqrt(np.clip(1 - q**2, 0, 1))
        self.front = self.rim + self.lip * inside  # the rim's near edge, per column
        self.back = self.rim - self.lip * inside
        # The dome: highest in the middle, lumpy, reaching past the rim's ends.
        reach = np.clip(1 - (q / (1 + OVERHANG)) ** 2, 0, 1) ** 0.6
        lumps = sum(rng.uniform(0, 0.12) * np.sin(k * np.pi * q + rng.uniform(0, 6.3))
                    for k in range(2, 6))  # fmt: skip
        bubbles = cv2.GaussianBlur(rng.normal(0, 1, (1, xs.size)), (0, 0), 1.2)[0]
        self.dome = reach * (1 + lumps) + 0.06 * bubbles
        self.xs = xs
        self._texture: np.ndarray | None = None
        self._pot: Layer | None = None

    def _level(self, t: float) -> float:
        """How far the foam has risen, 0..1: slowly, then fast, then levelling off."""
        s = min(max(t / self.rise, 0.0), 1.0)
        return s * s * (3 - 2 * s)

    def prepare(self, frame: np.ndarray, rng: np.random.Generator) -> None:
        super().prepare(frame, rng)
        x0, y0, x1, y1 = self.box
        bw, bh = x1 - x0, y1 - y0
        extra = int(self.tall) + 2  # the texture scrolls up by up to the dome's height
        # Foam is heaps of rounded clusters of small bubbles: soft lumps of light and
        # shade a few px across, with faint bubble rims here and there.
        lumps = cv2.GaussianBlur(rng.normal(0, 1, (bh + extra, bw)).astype(np.float32),
                                 (0, 0), 2.5 * max(self.geo.unit / 480, 0.5))  # fmt: skip
        tex = (0.93 + 0.07 * lumps / max(float(np.abs(lumps).max()), 1e-6)).astype(np.float32)
        for _ in range(bw * (bh + extra) // 40):  # a bubble rim every 40 px^2
            r = rng.uniform(0.8, 2.5) * max(self.geo.unit / 480, 0.5)
            c = (int(rng.integers(0, bw) * 16), int(rng.integers(0, bh + extra) * 16))
            cv2.circle(tex, c, int(r * 16), float(rng.uniform(0.86, 0.95)), 1, cv2.LINE_AA, 4)
        soft = cv2.GaussianBlur(tex, (0, 0), 0.7)
        # Foam is the brightest thing around: a camera exposing a dim scene keeps it
        # pale (the square root of the scene's light factor, not the factor). Of the
        # foams that stand out from what is behind where it rises, one at random by
        # how common it is.
        light = np.sqrt(self.scene.light)
        behind = backdrop(frame, self.cx - self.half, self.rim - self.tall, self.cx + self.half,
                          self.rim)  # fmt: skip
        names = list(FOAMS)
        gaps = [behind.gap(bgr(FOAMS[n][1]) * light * 0.88) for n in names]  # (its shading)
        ok = [i for i, g in enumerate(gaps) if g >= STAND_OUT]
        if not ok:
            ok = [pick_standing_out(rng, gaps)]
        p = np.array([FOAMS[names[i]][0] for i in ok])
        self.foam_colour = bgr(FOAMS[names[ok[int(rng.choice(len(ok), p=p / p.sum()))]]][1])
        self._texture = soft[..., None] * self.foam_colour * light
        # A pot that the foam running down its side shows on clearly (twice STAND_OUT:
        # cream enamel under white foam passed once, and the foam hardly showed).
        foam = luma(self.foam_colour * light)
        gaps = [abs(luma(bgr(c) * self.scene.light) - foam) for c in POTS]
        ok = [i for i, g in enumerate(gaps) if g >= 2 * STAND_OUT] or [int(np.argmax(gaps))]
        self.pot_colour = bgr(POTS[ok[int(rng.integers(len(ok)))]])
        self._pot = self._paint_pot(rng) if self.pot else None

    def _paint_pot(self, rng: np.random.Generator) -> Layer:
        """The pot standing there: a shaded cylinder below the rim, with milk inside."""
        x0, y0, x1, y1 = self.box
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        q = (xx - self.cx) / self.half
        e2 = q**2 + ((yy - self.rim) / max(self.lip, 1.0)) ** 2
        body = (np.abs(q) < 1) & (yy >= self.rim) & (yy <= self.rim + self.depth)
        bottom = (q**2 + ((yy - self.rim - self.depth) / max(self.lip, 1.0)) ** 2) < 1
        body_a = np.clip((body | bottom) * 1.0 * np.clip((1 - np.abs(q)) * self.half, 0, 1), 0, 1)
        shade = 0.5 + 0.5 * np.sqrt(np.clip(1 - q**2, 0, 1))
        shine = 0.6 * np.exp(-(((q + 0.45) / 0.12) ** 2))  # a vertical highlight
        col = self.pot_colour * self.scene.light
        body_rgb = shade[..., None] * col + (255 * shine * self.scene.light)[..., None]
        milk_a = np.clip((1 - e2) * self.lip, 0, 1)  # the opening, soft-edged
        rim_a = np.clip(1 - np.abs(np.sqrt(e2) - 1) * self.lip, 0, 1) * 0.8
        # The milk's surface, in the rim's shadow at the back.
        back = np.clip(yy - self.rim + self.lip, 0, None) / max(2 * self.lip, 1.0)
        milk = self.foam_colour * LIQUID * self.scene.light * (0.8 + 0.2 * back)[..., None]
        a = np.maximum(body_a, np.maximum(milk_a, rim_a))
        rgb = body_rgb * body_a[..., None]
        rgb = rgb * (1 - milk_a[..., None]) + milk * milk_a[..., None]
        rgb = rgb * (1 - rim_a[..., None]) + (col * 1.2)[None, None, :] * rim_a[..., None]
        return Layer(x0, y0, np.clip(rgb, 0, 255).astype(np.float32), a.astype(np.float32))

    def _foam(self, t: float) -> Layer | None:
        level = self._level(t)
        x0, y0, x1, y1 = self.box
        rows = np.arange(y0, y1, dtype=np.float64)[:, None]
        top = self.front - level * (self.front - self.back + self.tall * self.dome)
        # Past the rim's ends there is foam only once it overflows.
        spread = np.abs(self.xs - self.cx) <= self.half * (1 + OVERHANG * level)
        a = np.clip(rows - top + 0.5, 0, 1) * np.clip(self.front + 1.5 * level - rows + 0.5, 0, 1)
        a *= spread & (self.front - top > 0.3)
        for x, wd, ln, t0, tau in zip(self.drip_x, self.drip_w, self.drip_len, self.drip_t,
                                      self.drip_tau, strict=True):  # fmt: skip
            if t <= t0:
                continue
            length = ln * (1 - math.exp(-(t - t0) / tau))
            across = np.sqrt(np.clip(1 - ((self.xs - x) / (wd / 2)) ** 2, 0, 1))
            bottom = self.front + length * across  # a rounded tip
            run = np.clip(bottom - rows + 0.5, 0, 1) * (rows >= self.front - 1) * (across > 0)
            a = np.maximum(a, run)
        if not a.any():
            return None
        assert self._texture is not None
        shift = int(round(level * self.tall))  # bubbles ride up with the foam
        tex = self._texture[shift : shift + (y1 - y0)]
        # Lit from above: greyer towards the rim, and greyer still in the streams.
        depth = np.clip((rows - top) / (self.tall + 2 * self.lip + 1), 0, 1.5)
        shade = (1 - 0.12 * depth)[..., None]
        a = cv2.GaussianBlur(a.astype(np.float32), (0, 0), 0.5)
        return Layer(x0, y0, (tex * shade * a[..., None]).astype(np.float32), a)

    def draw(self, t: float, shutter: float) -> Layer | None:
        foam = self._foam(min(max(t, 0.0), self.duration)) if t > 0 else None
        if foam is None:
            return self._pot
        return foam.over(self._pot)
