"""Spilt liquid: a splash of milk, sauce, water or coffee, and the mess of a broken egg.

A spill is droplets thrown up and out on parabolas from where the liquid lands (each
leaves a small stain where it comes down) and a puddle that spreads fast and then ever
slower (its radius approaches its final size exponentially), irregular at its edge,
semi-transparent, with a glossy highlight. A splash may be caused by a stream of
liquid falling into the picture from above.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from tools.eventgen.events import (
    LOW_CONTRAST,
    Event,
    Geometry,
    Hit,
    Scene,
    blurred,
    pick_faint,
    pick_standing_out,
)
from tools.eventgen.layer import Layer
from tools.eventgen.sprites import bgr

# Liquids (RGB colour, opacity range): milk and sauce hide the surface; water mostly
# darkens it (a wet surface) and shines; coffee and juice are in between.
LIQUIDS = {
    "milk": ((240, 238, 230), (0.75, 0.95)),
    "water": ((0, 0, 0), (0.2, 0.35)),
    "coffee": ((72, 44, 26), (0.6, 0.85)),
    "sauce": ((165, 42, 24), (0.85, 0.97)),
    "juice": ((236, 140, 32), (0.6, 0.85)),
}
# A wet surface keeps its colour, darker by this much where the water covers it.
WET = 0.4
EGG_WHITE = ((236, 232, 205), (0.3, 0.5))
YOLK = (250, 178, 36)
# Fixed-point fraction bits for OpenCV's drawing: positions to 1/16 px.
SHIFT = 4
# A puddle's radius reaches 95 % of its final size after three time constants.
SETTLE_TAUS = 3.0
# A splash's pool spreads to 8-30 % of the frame's unit across (at 640x360: 40-145 px).
SPREAD = (0.08, 0.30)
# Share of splashes poured or spilt from above the picture (the rest splash out from
# where they are, as from a knocked glass at the spot).
GUSH = 0.6


def _fx(v: float) -> int:
    return int(round(v * (1 << SHIFT)))


class Puddle:
    """A spreading, irregular pool around (cx, cy), flattened by ``aspect`` (a floor
    seen at a slant): radius ``radius`` * (1 - exp(-t / tau))."""

    def __init__(self, rng: np.random.Generator, cx: float, cy: float, radius: float,
                 aspect: float, tau: float) -> None:  # fmt: skip
        self.cx, self.cy, self.radius, self.aspect, self.tau = cx, cy, radius, aspect, tau
        th = np.linspace(0, 2 * np.pi, 120, endpoint=False)
        r = np.ones_like(th)
        for k in range(2, 9):  # an uneven rim
            r += rng.uniform(0, 0.3 / k) * np.cos(k * th + rng.uniform(0, 2 * np.pi))
        for _ in range(int(rng.integers(0, 5))):  # a few runs reaching further out
            c, w = rng.uniform(0, 2 * np.pi), rng.uniform(0.08, 0.3)
            d = np.angle(np.exp(1j * (th - c)))
            r += rng.uniform(0.15, 0.6) * np.exp(-((d / w) ** 2))
        self.th, self.r = th, r / r.mean()

    def scale(self, t: float) -> float:
        return 0.0 if t <= 0 else 1.0 - math.exp(-t / self.tau)

    def paint(self, mask: np.ndarray, x0: int, y0: int, t: float) -> None:
        """Fill the pool at ``t`` into ``mask`` (whose top-left is at (x0, y0))."""
        s = self.scale(t)
        if s * self.radius < 0.5:
            return
        r = 1 + (self.r - 1) * s  # its edge grows uneven as it spreads
        x = self.cx - x0 + s * self.radius * r * np.cos(self.th)
        y = self.cy - y0 + s * self.radius * self.aspect * r * np.sin(self.th)
        pts = np.round(np.stack([x, y], 1) * (1 << SHIFT)).astype(np.int32)
        cv2.fillPoly(mask, [pts], 1.0, lineType=cv2.LINE_AA, shift=SHIFT)


class Droplets:
    """Drops thrown from (cx, cy) on parabolas under ``g`` px/s^2, at up to ``speed``
    px/s, mostly upwards; each comes down somewhere near the pool and stays as a stain."""

    def __init__(self, rng: np.random.Generator, cx: float, cy: float, n: int, speed: float,
                 g: float, spread: float, radius: float) -> None:  # fmt: skip
        ang = np.clip(rng.normal(0, 0.75, n), -1.4, 1.4)  # radians off vertical
        v = speed * rng.uniform(0.3, 1.0, n)
        self.vx, self.vy = v * np.sin(ang) * 1.3, -v * np.cos(ang)
        # Where each comes down: about the pool's depth in the picture, never higher
        # than its flight can reach.
        land = cy + rng.normal(0, spread, n)
        land = np.maximum(land, cy - 0.8 * self.vy**2 / (2 * g))
        self.t_land = (-self.vy + np.sqrt(self.vy**2 + 2 * g * (land - cy))) / g
        self.cx, self.cy, self.g = cx, cy, g
        self.r = radius * rng.uniform(0.5, 1.3, n)

    @property
    def settle(self) -> float:
        return float(self.t_land.max()) if self.t_land.size else 0.0

    def reach(self) -> tuple[float, float, float, float]:
        """The box every drop stays in, its radius included."""
        t = np.linspace(0, 1, 30)[:, None] * self.t_land[None, :]
        x = self.cx + self.vx * t
        y = self.cy + self.vy * t + 0.5 * self.g * t**2
        m = float(self.r.max()) * 1.5 + 2
        return float(x.min()) - m, float(y.min()) - m, float(x.max()) + m, float(y.max()) + m

    def paint(self, mask: np.ndarray, x0: int, y0: int, t: float) -> None:
        if t <= 0:
            return
        for vx, vy, tl, r in zip(self.vx, self.vy, self.t_land, self.r, strict=True):
            tt = min(t, tl)
            x = self.cx - x0 + vx * tt
            y = self.cy - y0 + vy * tt + 0.5 * self.g * tt * tt
            if t < tl:
                cv2.circle(mask, (_fx(x), _fx(y)), max(_fx(r), 1), 1.0, -1, cv2.LINE_AA, SHIFT)
            else:  # a stain, flattened like the pool
                axes = (max(_fx(1.4 * r), 1), max(_fx(0.6 * r), 1))
                cv2.ellipse(mask, (_fx(x), _fx(y)), axes, 0, 0, 360, 1.0, -1, cv2.LINE_AA, SHIFT)


class Spill:
    """A pool, drops and (for an egg) a yolk, landing at (cx, cy) at time 0."""

    def __init__(self, rng: np.random.Generator, geo: Geometry, cx: float, cy: float,
                 liquid: str, radius: float, g: float) -> None:  # fmt: skip
        self.thickness = float(rng.uniform())  # where in its liquid's opacity range
        self.set_liquid(liquid)
        aspect = float(rng.uniform(0.35, 0.7))
        tau = float(rng.uniform(0.04, 0.1) if liquid == "egg" else rng.uniform(0.06, 0.25))
        self.pool = Puddle(rng, cx, cy, radius, aspect, tau)
        n = int(rng.integers(2, 6) if liquid == "egg" else rng.integers(6, 36))
        # Drops fly up to 0.5-2 pool radii high (an egg's bits barely bounce).
        rise = radius * (rng.uniform(0.2, 0.5) if liquid == "egg" else rng.uniform(0.5, 2.0))
        drop_r = max(geo.unit * rng.uniform(0.003, 0.008), 0.7)
        self.drops = Droplets(rng, cx, cy, n, math.sqrt(2 * g * rise), g,
                              radius * aspect * 0.6, drop_r)  # fmt: skip
        self.yolk = radius * rng.uniform(0.22, 0.32) if liquid == "egg" else 0.0
        self.gloss = float(rng.uniform(0.15, 0.5))
        self.settle = max(SETTLE_TAUS * tau, self.drops.settle)
        x0, y0, x1, y1 = self.drops.reach()
        rx, ry = radius * 2.0, radius * aspect * 2.0  # room for the runs of the pool
        self.box = (int(min(x0, cx - rx)) - 2, int(min(y0, cy - ry)) - 2,
                    int(max(x1, cx + rx)) + 3, int(max(y1, cy + ry)) + 3)  # fmt: skip
        self.colour = self.rgb_colour
        self.light = 1.0
        self.vary = np.zeros((self.box[3] - self.box[1], self.box[2] - self.box[0]), np.float32)

    def set_liquid(self, liquid: str) -> None:
        """Make it a spill of ``liquid`` (a LIQUIDS name or "egg")."""
        self.liquid = liquid
        colour, (lo, hi) = EGG_WHITE if liquid == "egg" else LIQUIDS[liquid]
        self.rgb_colour = bgr(colour)
        self.opacity = lo + (hi - lo) * self.thickness

    def gap(self, scene: Scene) -> float:
        """How far (mean absolute grey levels) the pool changes the background
        ``scene`` (see Scene.gap)."""
        if self.liquid == "water":  # darkens what it wets by WET of its cover
            return WET * self.opacity * float(scene.greys.mean())
        return scene.gap(self.rgb_colour * scene.light, self.opacity)

    def prepare(self, around: np.ndarray, light: float, rng: np.random.Generator) -> None:
        self.light = light
        # Uneven depth: thicker patches hide more and look darker, over a few px.
        x0, y0, x1, y1 = self.box
        noise = rng.normal(0, 1, (y1 - y0, x1 - x0)).astype(np.float32)
        vary = cv2.GaussianBlur(noise, (0, 0), max(self.pool.radius * 0.12, 1.0))
        self.vary = (vary / max(float(np.abs(vary).max()), 1e-6)).astype(np.float32)
        if self.liquid == "water":  # a wet surface: the same colour, darker
            self.colour = around * (1 - WET)
        else:
            self.colour = self.rgb_colour * light

    def at(self, t: float) -> Layer | None:
        if t < 0:
            return None
        x0, y0, x1, y1 = self.box
        pool = np.zeros((y1 - y0, x1 - x0), np.float32)
        self.pool.paint(pool, x0, y0, t)
        drops = np.zeros_like(pool)
        self.drops.paint(drops, x0, y0, t)
        depth = 0.85 + 0.15 * self.vary
        a = 1 - (1 - pool * self.opacity * depth) * (1 - drops * min(1.0, self.opacity * 1.3))
        # The pool's edge stands up a little (surface tension): slightly denser there.
        edge = pool - cv2.erode(pool, np.ones((3, 3), np.uint8))
        a = np.clip(a + 0.25 * self.opacity * edge, 0, 1)
        rgb = (a * (1 - 0.12 * self.vary))[..., None] * self.colour.astype(np.float32)
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        s, p = self.pool.scale(t), self.pool
        if s > 0.05:
            # A glossy highlight on the pool, towards the light (above, left).
            hx, hy = p.cx - 0.25 * p.radius * s, p.cy - 0.2 * p.radius * p.aspect * s
            rx, ry = max(0.25 * p.radius * s, 1.0), max(0.06 * p.radius * s, 1.0)
            spot = np.exp(-1.5 * (((xx - hx) / rx) ** 2 + ((yy - hy) / ry) ** 2)) * pool
            rgb += (255 * self.gloss * self.light * s * spot)[..., None]
        if self.yolk > 0:
            # The yolk slumps out within 40 ms: a firm, rounded, glossy dome.
            r = self.yolk * min(1.0, t / 0.04)
            d2 = ((xx - p.cx) / max(r, 0.5)) ** 2 + ((yy - p.cy) / max(0.8 * r, 0.5)) ** 2
            yolk = np.clip((1 - d2) * r, 0, 1)  # coverage with a 1 px soft edge
            shade = 0.75 + 0.35 * np.clip(1 - d2, 0, 1)
            col = bgr(YOLK) * self.light
            rgb = rgb * (1 - yolk[..., None]) + (yolk * shade)[..., None] * col
            a = a * (1 - yolk) + yolk
        return Layer(x0, y0, rgb.astype(np.float32), a.astype(np.float32))


class Splash(Event):
    """Liquid landing on a surface: poured or spilt from above the picture (a stream
    falling into view and draining into the pool), or splashing out where it is."""

    kind = "splash"

    def __init__(self, rng: np.random.Generator, geo: Geometry) -> None:
        super().__init__(rng, geo)
        w, h, u = geo.width, geo.height, geo.unit
        liquid = str(rng.choice(list(LIQUIDS)))  # (the scene may ask for another)
        radius = u * rng.uniform(*SPREAD) / 2
        cx, cy = w * rng.uniform(0.1, 0.9), h * rng.uniform(0.4, 0.93)
        self.gush = rng.random() < GUSH
        self.width = radius * rng.uniform(0.15, 0.35)  # the stream's width
        self.top = -self.width  # its front starts just above the picture
        if self.gush:
            # It reaches the surface 0.15-0.4 s after entering the picture: the
            # acceleration follows (the camera's distance sets the scale, as for falls).
            self.t_hit = rng.uniform(0.15, 0.4)
            self.g = 2 * (cy - self.top) / self.t_hit**2
            self.appear = math.sqrt(2 * self.width / self.g)
        else:
            self.t_hit = 0.0
            self.g = 2 * h * rng.uniform(0.1, 0.5) / rng.uniform(0.2, 0.5) ** 2
        self.pour = rng.uniform(0.05, 0.2)  # s of liquid: how long the stream is
        self.spill = Spill(rng, geo, cx, cy, liquid, radius, self.g)
        self.duration = self.t_hit + max(self.spill.settle, self.pour if self.gush else 0.0)
        self.where = (cx, cy, radius)  # (the pool's own place, not what is around)
        self.hits = [Hit(self.t_hit, "splash", 1.0, 0.3)]
        self.low_contrast = rng.random() < LOW_CONTRAST
        self._rest: Layer | None = None  # the settled spill, drawn once

    def prepare(self, frame: np.ndarray, rng: np.random.Generator) -> None:
        super().prepare(frame, rng)
        # The liquid that stands out on this surface (milk on a dark board, coffee or
        # sauce on a white counter; water only barely does anywhere).
        names = list(LIQUIDS)
        gaps = []
        for name in names:
            self.spill.set_liquid(name)
            gaps.append(self.spill.gap(self.scene))
        pick = pick_faint(rng, gaps) if self.low_contrast else pick_standing_out(rng, gaps)
        self.spill.set_liquid(names[pick])
        self.spill.prepare(self.scene.around, self.scene.light, rng)
        self._rest = None

    def _stream(self, t: float) -> Layer | None:
        """The falling stream at ``t``: from its tail (where its front was ``pour`` s
        ago) to its front, cut where it meets the surface."""
        if not self.gush or t <= 0:
            return None
        front = self.top + 0.5 * self.g * t * t
        tail = self.top + 0.5 * self.g * max(t - self.pour, 0.0) ** 2
        cx, cy = self.spill.pool.cx, self.spill.pool.cy
        lo, hi = max(tail, -self.width), min(front, cy)
        if hi <= lo:
            return None
        half = self.width / 2
        x0, y0 = int(cx - half) - 2, int(lo - half) - 2
        x1, y1 = int(cx + half) + 3, int(hi + half) + 3
        mask = np.zeros((y1 - y0, x1 - x0), np.float32)
        # Narrower towards its tail, as a pour thins out; a rounded front.
        pts = [(cx - half * 0.6, lo), (cx + half * 0.6, lo), (cx + half, hi), (cx - half, hi)]
        poly = np.array([[_fx(x - x0), _fx(y - y0)] for x, y in pts], np.int32)
        cv2.fillConvexPoly(mask, poly, 1.0, cv2.LINE_AA, SHIFT)
        if front < cy:
            cv2.circle(mask, (_fx(cx - x0), _fx(hi - y0)), max(_fx(half), 1), 1.0, -1,
                       cv2.LINE_AA, SHIFT)  # fmt: skip
        a = mask * min(1.0, self.spill.opacity * 1.2)
        rgb = a[..., None] * self.spill.colour.astype(np.float32)
        return Layer(x0, y0, rgb.astype(np.float32), a)

    def _at(self, t: float) -> Layer | None:
        stream = self._stream(t)
        spill = self.spill.at(t - self.t_hit) if t >= self.t_hit else None
        if stream is None:
            return spill
        return stream.over(spill)

    def draw(self, t: float, shutter: float) -> Layer | None:
        if t >= self.duration:
            if self._rest is None:
                self._rest = self._at(self.duration)
            return self._rest
        return blurred(self._at, t, shutter)
