"""Solid things that fall: dropped (free fall, a bounce or two, rest) or knocked over
(an upright bottle or carton tipping about its bottom corner and landing flat).

Both are simulated once when planned, in small time steps, and drawn by looking up
where the object is at any instant, so that motion blur (several instants a frame) and
the impact sounds follow the same motion.
"""

from __future__ import annotations

import math

import numpy as np

from tools.eventgen.events import Event, Geometry, Hit, blurred, soft_ellipse
from tools.eventgen.layer import Layer
from tools.eventgen.liquid import Spill
from tools.eventgen.sprites import (
    PALETTE,
    SHELLS,
    Shape,
    Sprite,
    make_shape,
    paint,
    pick_colour,
)

# Simulation step: 1 ms, a thirtieth of a frame, so an impact is timed to the sample.
DT = 0.001
# Dropped things, by how often they fall, with their length range as a share of the
# frame's unit (480 px on 640x360): an egg is 17-31 px there, a few percent of the width.
DROPPED = {
    "egg": (0.22, (0.035, 0.065)),
    "round": (0.16, (0.04, 0.10)),
    "box": (0.16, (0.05, 0.13)),
    "cup": (0.14, (0.05, 0.11)),
    "blob": (0.16, (0.03, 0.09)),
    "patch": (0.16, (0.05, 0.12)),
}
# What each sounds like when it lands.
SOUND = {"egg": "crack", "round": "thud", "box": "thud", "cup": "clink", "blob": "thud",
         "patch": "thud", "bottle": "clink", "carton": "thud"}  # fmt: skip
# Share of eggs that break (the rest bounce, as a boiled egg or a ball would).
EGG_BREAKS = 0.6
# Share of objects painted in nearly the background's colour (hard to see).
LOW_CONTRAST = 0.25
# Share of falls with a soft shadow under the object, darkening as it nears the floor.
SHADOW = 0.5
# A bounce lower than half a pixel is not seen: the object is at rest.
MIN_BOUNCE_PX = 0.5


class Fall(Event):
    """An object falling under gravity, bouncing once or twice and coming to rest."""

    kind = "fall"

    def __init__(self, rng: np.random.Generator, geo: Geometry) -> None:
        super().__init__(rng, geo)
        w, h, u = geo.width, geo.height, geo.unit
        names = list(DROPPED)
        p = np.array([DROPPED[n][0] for n in names])
        self.shape_kind = str(rng.choice(names, p=p / p.sum()))
        lo, hi = DROPPED[self.shape_kind][1]
        # Small things are commoner than large (log-uniform size).
        length = u * math.exp(rng.uniform(math.log(lo), math.log(hi)))
        self.shape: Shape = make_shape(self.shape_kind, rng, length)
        # Real falls take 0.2-0.5 s over 10-50 % of the frame's height: the pixel
        # acceleration follows (the camera's distance sets the scale).
        t_fall, drop = rng.uniform(0.2, 0.5), h * rng.uniform(0.1, 0.5)
        self.g = 2 * drop / t_fall**2
        self.floor = h * rng.uniform(0.35, 0.97)  # where its lowest point comes to rest
        x_land = w * rng.uniform(0.06, 0.94)
        vx = rng.uniform(-0.25, 0.25) * drop / t_fall  # pushed off an edge, or tossed
        angle = rng.uniform(0, 2 * np.pi)
        spin = rng.uniform(-1, 1) * rng.uniform(0, 10)  # rad/s: tumbling, or not
        self.breaks = self.shape_kind == "egg" and rng.random() < EGG_BREAKS
        self.low_contrast = rng.random() < LOW_CONTRAST
        self.shadow = float(rng.uniform(0.2, 0.5)) if rng.random() < SHADOW else 0.0
        y0 = self.floor - drop - self.shape.below(angle)
        reach = float(np.sqrt((self.shape.outline**2).sum(axis=1)).max())
        if y0 - reach < 0 < y0 + self.shape.below(angle):
            # Cut by the frame's top edge: it would wait there half in view. It falls
            # from just above the frame instead (a little further in the same time).
            y0 = -reach - 1
            drop = self.floor - self.shape.below(angle) - y0
            self.g = 2 * drop / t_fall**2
        self.drop = drop
        self._simulate(rng, x_land - vx * t_fall, y0, vx, angle, spin)
        self.before = y0 + self.shape.below(angle) > 0  # visible, waiting to fall
        if not self.before:  # falls into view from above: the event starts as it shows
            visible = self.y + np.array([self.shape.below(a) for a in self.angle]) > 0
            self.appear = float(self.t[np.argmax(visible)])
        self.where = (float(self.x[-1]), self.floor, length * 1.5)
        self.spill: Spill | None = None
        if self.breaks:
            t_hit = self.hits[0].t
            i = int(np.searchsorted(self.t, t_hit))
            self.spill = Spill(rng, geo, float(self.x[i]), self.floor - length * 0.15, "egg",
                               length * rng.uniform(0.8, 1.4), self.g)  # fmt: skip
            self.t_break = t_hit
            self.duration = t_hit + self.spill.settle
        self.sprite: Sprite | None = None
        self._rest: Layer | None = None

    def _simulate(self, rng: np.random.Generator, x: float, y: float, vx: float,
                  angle: float, spin: float) -> None:  # fmt: skip
        """Free fall, bounces (restitution 0.2-0.5), then a short slide or roll to rest;
        records the path in self.t, .x, .y, .angle and the impacts in self.hits."""
        e = rng.uniform(0.2, 0.5)
        bounces = 0 if self.breaks else int(rng.integers(1, 3))
        path = [(0.0, x, y, angle)]  # (t, x, y, angle)
        t, vy, first = 0.0, 0.0, 0.0
        sound = SOUND[self.shape_kind]
        while t < 5.0:
            t += DT
            vy += self.g * DT
            x, y, angle = x + vx * DT, y + vy * DT, angle + spin * DT
            low = self.shape.below(angle)
            if vy > 0 and y + low >= self.floor:
                y = self.floor - low
                first = first or vy
                self.hits.append(Hit(t, sound, vy / first))
                rebound = e * vy
                if len(self.hits) > bounces or rebound**2 / (2 * self.g) < MIN_BOUNCE_PX:
                    path.append((t, x, y, angle))
                    break
                vy, vx = -rebound, vx * rng.uniform(0.3, 0.7)
                spin = spin * rng.uniform(-0.6, 0.6) + rng.normal(0, 4)
            path.append((t, x, y, angle))
        # Coming to rest: slowing to a stop over 0.15-0.4 s; a round thing rolls on,
        # anything else tips onto its long side (the nearest lying angle).
        rest_t = rng.uniform(0.15, 0.4)
        rest_angle = angle if self.shape_kind == "round" else round(angle / np.pi) * np.pi
        x_c, a_c = x, angle
        for s in np.linspace(0, 1, max(int(rest_t / DT), 2))[1:]:
            ease = 1 - (1 - s) ** 2
            x = x_c + vx * rest_t / 2 * ease
            if self.shape_kind == "round":
                angle = a_c + (x - x_c) / max(self.shape.length / 2, 1)
            else:
                angle = a_c + (rest_angle - a_c) * ease
            path.append((t + s * rest_t, x, self.floor - self.shape.below(angle), angle))
        self.t, self.x, self.y, self.angle = np.array(path).T
        self.duration = float(self.t[-1])

    def prepare(self, frame: np.ndarray, rng: np.random.Generator) -> None:
        super().prepare(frame, rng)
        texture = None
        if self.shape_kind == "patch":
            texture = _texture(frame, self.shape.side, rng)
        palette = SHELLS if self.shape_kind == "egg" else PALETTE
        colour = pick_colour(rng, self.scene.around, self.low_contrast, palette)
        self.sprite = paint(self.shape, rng, colour, self.scene.light, texture)
        if self.spill is not None:
            self.spill.prepare(self.scene.around, self.scene.light, rng)
        self._rest = None

    def _pose(self, t: float) -> tuple[float, float, float]:
        t = min(max(t, 0.0), self.duration)
        return (float(np.interp(t, self.t, self.x)), float(np.interp(t, self.t, self.y)),
                float(np.interp(t, self.t, self.angle)))  # fmt: skip

    def _at(self, t: float) -> Layer | None:
        if t < 0 and not self.before:
            return None
        if self.spill is not None and t >= self.t_break:
            return self.spill.at(t - self.t_break)
        assert self.sprite is not None
        x, y, angle = self._pose(t)
        obj = self.sprite.layer(x, y, angle)
        if not self.shadow:
            return obj
        # The shadow on the floor below: appears as the object nears the floor,
        # darker and sharper the closer it gets.
        height = max(self.floor - (y + self.shape.below(angle)), 0.0)
        near = max(0.0, 1 - height / (0.6 * self.drop)) ** 2
        if near <= 0:
            return obj
        rx = 0.5 * self.shape.length * (1 + 0.8 * height / self.drop)
        shadow = soft_ellipse(x, self.floor, rx, rx * 0.25, self.shadow * near)
        return obj.over(shadow)

    def draw(self, t: float, shutter: float) -> Layer | None:
        if t >= self.duration:
            if self._rest is None:
                self._rest = self._at(self.duration)
            return self._rest
        if t < 0:
            return self._at(t)
        return blurred(self._at, t, shutter)


def _texture(frame: np.ndarray, side: int, rng: np.random.Generator) -> np.ndarray:
    """A ``side`` x ``side`` piece of ``frame`` from a random place: an object made of
    the scene's own stuff (a lump of dough, a peel, a rag)."""
    h, w = frame.shape[:2]
    if side >= min(h, w):
        return np.full((side, side, 3), frame.reshape(-1, 3).mean(axis=0), np.float32)
    y, x = int(rng.integers(0, h - side)), int(rng.integers(0, w - side))
    return frame[y : y + side, x : x + side].astype(np.float32)


class Knock(Event):
    """An upright bottle or carton knocked over: it tips up onto its bottom corner,
    passes its balance point and falls flat like a rod about its end, landing in
    0.4-0.8 s with a small bounce. It stands there from the first frame."""

    kind = "knock"

    def __init__(self, rng: np.random.Generator, geo: Geometry) -> None:
        super().__init__(rng, geo)
        w, h, u = geo.width, geo.height, geo.unit
        kind = "bottle" if rng.random() < 0.5 else "carton"
        self.sound = SOUND[kind]
        # 10-28 % of the frame's unit tall: a bottle or a packet on a counter.
        self.shape = make_shape(kind, rng, u * rng.uniform(0.10, 0.28))
        tall, wide = self.shape.length, self.shape.thickness
        self.side = 1 if rng.random() < 0.5 else -1  # falls to the right, or left
        base_y = h * rng.uniform(0.4, 0.95)
        cx = w * rng.uniform(0.1, 0.9)
        self.pivot = (cx + self.side * wide / 2, base_y)
        self.rel = (-self.side * wide / 2, -tall / 2)  # pivot -> centre, standing
        self.low_contrast = rng.random() < LOW_CONTRAST
        self._simulate(rng, math.atan2(wide, tall), rng.uniform(0.4, 0.8))
        self.before = True
        self.where = (cx, base_y - tall / 2, tall)
        self.sprite: Sprite | None = None
        self._rest: Layer | None = None

    def _simulate(self, rng: np.random.Generator, balance: float, t_total: float) -> None:
        """Tip angle phi(t) (0 standing, pi/2 flat) of a block pivoting on its corner:
        phi'' = k sin(phi - balance). Solved with k = 1, then time is scaled so that
        it lands after ``t_total`` s (time goes as 1/sqrt(k))."""
        # The push leaves it just enough speed to pass its balance point: the energy to
        # lift its centre there, and 1-8 % of k more (it hesitates on its corner, then
        # goes: a harder push would fling it rather than tip it).
        w0 = math.sqrt(2 * (1 - math.cos(balance)) + 2 * rng.uniform(0.01, 0.08))
        dt = 1e-3  # with k = 1 a fall takes 2-5 time units: thousands of steps
        phi, w, t = 0.0, w0, 0.0
        ts, ps = [0.0], [0.0]
        while phi < math.pi / 2 and t < 100:  # (it always lands well before 100)
            w += math.sin(phi - balance) * dt
            phi += w * dt
            t += dt
            ts.append(t)
            ps.append(min(phi, math.pi / 2))
        k = (t / t_total) ** 2
        scale = 1 / math.sqrt(k)
        t_land, w_land = t * scale, w * math.sqrt(k)
        # A small bounce: it rebounds at 10-30 % of its landing speed, braked by its
        # weight (k cos(balance) at flat), and comes down again.
        e = rng.uniform(0.1, 0.3)
        brake = k * math.cos(balance)
        t_up = 2 * e * w_land / brake
        times = list(np.array(ts) * scale)
        for s in np.linspace(0, t_up, 40)[1:]:
            times.append(t_land + s)
            ps.append(math.pi / 2 - (e * w_land * s - 0.5 * brake * s * s))
        self.t, self.phi = np.array(times), np.array(ps)
        self.hits = [Hit(t_land, self.sound, 1.0), Hit(t_land + t_up, self.sound, e)]
        self.duration = t_land + t_up + 0.05  # and 50 ms to settle

    def prepare(self, frame: np.ndarray, rng: np.random.Generator) -> None:
        super().prepare(frame, rng)
        colour = pick_colour(rng, self.scene.around, self.low_contrast)
        self.sprite = paint(self.shape, rng, colour, self.scene.light)
        self._rest = None

    def _at(self, t: float) -> Layer | None:
        assert self.sprite is not None
        phi = float(np.interp(min(max(t, 0.0), self.duration), self.t, self.phi)) * self.side
        c, s = math.cos(phi), math.sin(phi)
        rx, ry = self.rel
        x = self.pivot[0] + c * rx - s * ry
        y = self.pivot[1] + s * rx + c * ry
        # The sprite lies along x; standing, its long axis points up (-pi/2).
        return self.sprite.layer(x, y, -math.pi / 2 + phi)

    def draw(self, t: float, shutter: float) -> Layer | None:
        if t <= 0:
            return self._at(0.0)
        if t >= self.duration:
            if self._rest is None:
                self._rest = self._at(self.duration)
            return self._rest
        return blurred(self._at, t, shutter)
