"""Solid things that fall: dropped (free fall, a bounce or two, rest) or knocked over
(an upright bottle or carton tipping about its bottom corner and landing flat).

Both are simulated once when planned, in small time steps, and drawn by looking up
where the object is at any instant, so that motion blur (several instants a frame) and
the impact sounds follow the same motion.
"""

from __future__ import annotations

import math

import numpy as np

from tools.eventgen.events import (
    FAINT,
    LOW_CONTRAST,
    MAX_SUBFRAMES,
    STAND_OUT,
    SUBFRAMES,
    Event,
    Geometry,
    Hit,
    Scene,
    blurred,
    soft_ellipse,
    standing_out,
)
from tools.eventgen.layer import Layer
from tools.eventgen.liquid import Spill
from tools.eventgen.sprites import (
    PALETTE,
    SHELLS,
    Shape,
    Sprite,
    bgr,
    make_shape,
    paint,
    pick_colour,
    shade_gain,
)

# Simulation step: 1 ms, a thirtieth of a frame, so an impact is timed to the sample.
DT = 0.001
# Dropped things, by how often they fall, with their area as a share of the frame's
# (log-uniform) and their real length in m (which sets the scale of their fall). A
# mishap a creator films is close: 0.5-6 % of the picture (an egg 2-4 %, 100-140 px
# long at 640x360)...
DROPPED = {
    "egg": (0.22, (0.02, 0.04), (0.055, 0.065)),
    "round": (0.16, (0.005, 0.06), (0.06, 0.10)),
    "box": (0.16, (0.005, 0.06), (0.08, 0.22)),
    "cup": (0.14, (0.005, 0.06), (0.08, 0.12)),
    "blob": (0.16, (0.005, 0.06), (0.03, 0.10)),
    "patch": (0.16, (0.005, 0.06), (0.05, 0.15)),
}
# ...but some are small, in a wide shot: 0.2-0.5 % of the picture.
SMALL = 0.15
SMALL_AREA = (0.002, 0.005)
# Things drop from 5 cm (slipping from fingers over a counter) to 60 cm (off a shelf),
# log-uniform, under gravity: the object's size in the picture sets how many pixels a
# metre is, and so how far and how fast it falls on screen (an egg filling 3 % of a
# 640x360 picture falls its height, from rest, in 0.2 s)...
DROP_M = (0.05, 0.6)
GRAVITY = 9.81
# ...but at least over 15 % of the frame's height (a shorter drop is not seen as a
# fall); from higher than the picture shows, it falls into view from the top edge.
MIN_DROP = 0.15
# It lands on a table, counter or floor: its lowest point comes to rest in the lower
# 60 % of the picture, more often the lower part of that (half of them below 80 %).
FLOOR = (0.4, 0.97)
# It stays in view: at least this many px from the picture's sides.
MARGIN = 2.0
# A bounce at most this share of the height it falls back to in view (a lively ball
# dropped from a metre would leave the picture).
MAX_BOUNCE = 0.6
# What each sounds like when it lands.
SOUND = {"egg": "crack", "round": "thud", "box": "thud", "cup": "clink", "blob": "thud",
         "patch": "thud", "bottle": "clink", "carton": "thud"}  # fmt: skip
# Share of eggs that break (the rest bounce, as a boiled egg or a ball would).
EGG_BREAKS = 0.6
# Share of falls with a soft shadow under the object, darkening as it nears the floor.
SHADOW = 0.5
# A bounce lower than half a pixel is not seen: the object is at rest.
MIN_BOUNCE_PX = 0.5
# Knocked-over bottles and cartons stand 10-35 % of the frame's height tall.
KNOCK_TALL = (0.10, 0.35)
# Texture patches tried for a piece of the scene's own stuff that stands out.
TEXTURE_TRIES = 12


class Fall(Event):
    """An object falling under gravity, bouncing once or twice and coming to rest."""

    kind = "fall"

    def __init__(self, rng: np.random.Generator, geo: Geometry) -> None:
        super().__init__(rng, geo)
        w, h, u = geo.width, geo.height, geo.unit
        names = list(DROPPED)
        p = np.array([DROPPED[n][0] for n in names])
        self.shape_kind = str(rng.choice(names, p=p / p.sum()))
        _, (lo, hi), real = DROPPED[self.shape_kind]
        if rng.random() < SMALL:
            lo, hi = SMALL_AREA
        area = u * u * math.exp(rng.uniform(math.log(lo), math.log(hi)))
        self.shape: Shape = make_shape(self.shape_kind, rng, area=area)
        length = self.shape.length
        px_per_m = length / rng.uniform(*real)
        drop_m = math.exp(rng.uniform(*np.log(DROP_M)))
        drop = max(drop_m * px_per_m, MIN_DROP * h)
        self.g = GRAVITY * px_per_m
        t_fall = math.sqrt(2 * drop / self.g)
        lo_y, hi_y = FLOOR  # where its lowest point comes to rest
        self.floor = h * (lo_y + (hi_y - lo_y) * math.sqrt(rng.uniform()))
        reach = float(np.sqrt((self.shape.outline**2).sum(axis=1)).max())
        lo_x, hi_x = reach + MARGIN, max(w - reach - MARGIN, reach + MARGIN + 1)
        x_land = rng.uniform(lo_x, hi_x)
        # Pushed off an edge, or tossed: up to a quarter of its drop sideways, no
        # further than keeps it in view from its start to where it comes to rest.
        vx = rng.uniform(-0.25, 0.25) * drop / t_fall
        room = (x_land - lo_x, hi_x - x_land) if vx > 0 else (hi_x - x_land, x_land - lo_x)
        vx = math.copysign(min(abs(vx), room[0] / t_fall, room[1] / (1.5 * t_fall)), vx)
        angle = rng.uniform(0, 2 * np.pi)
        spin = rng.uniform(-1, 1) * rng.uniform(0, 10)  # rad/s: tumbling, or not
        self.breaks = self.shape_kind == "egg" and rng.random() < EGG_BREAKS
        self.low_contrast = rng.random() < LOW_CONTRAST
        self.shadow = float(rng.uniform(0.2, 0.5)) if rng.random() < SHADOW else 0.0
        y0 = self.floor - drop - self.shape.below(angle)
        if y0 - reach < 0 < y0 + self.shape.below(angle):
            # Cut by the frame's top edge: it would wait there half in view. It falls
            # from just above the frame instead (a little further, a little faster).
            y0 = -reach - 1
            drop = self.floor - self.shape.below(angle) - y0
        self.drop = drop
        self._simulate(rng, x_land - vx * t_fall, y0, vx, angle, spin)
        self.before = y0 + self.shape.below(angle) > 0  # visible, waiting to fall
        if not self.before:  # falls into view from above: the event starts as it shows
            visible = self.y + np.array([self.shape.below(a) for a in self.angle]) > 0
            self.appear = float(self.t[np.argmax(visible)])
        # Where it comes to rest, and what it falls past just above that.
        self.where = (float(self.x[-1]), self.floor - 0.5 * length, length)
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
        # A bounce rises e^2 of its drop: kept within MAX_BOUNCE of the view above it.
        view = max(self.floor - self.shape.length, 1.0)
        e = min(e, math.sqrt(MAX_BOUNCE * view / self.drop))
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
        dt = np.maximum(np.diff(self.t), 1e-9)
        v = np.hypot(np.diff(self.x), np.diff(self.y)) / dt
        self.speed = np.concatenate([v[:1], v])  # px/s, for its motion blur

    def prepare(self, frame: np.ndarray, rng: np.random.Generator) -> None:
        super().prepare(frame, rng)
        texture = None
        gain = self.scene.light * shade_gain(self.shape)
        if self.shape_kind == "patch":
            texture = _texture(frame, self.shape.side, rng, self.scene, self.low_contrast)
        if self.shape_kind == "egg":  # a shell is white, brown or cream
            looks = [bgr(c) * gain for c in SHELLS]
            colour = bgr(SHELLS[standing_out(rng, looks, self.scene, self.low_contrast)])
        else:
            colour = pick_colour(rng, self.scene, self.low_contrast, PALETTE, gain)
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
        travel = float(np.interp(t, self.t, self.speed)) * shutter
        n = int(np.clip(math.ceil(3 * travel / self.shape.thickness) + 1, SUBFRAMES, MAX_SUBFRAMES))
        return blurred(self._at, t, shutter, n)


def _texture(frame: np.ndarray, side: int, rng: np.random.Generator, scene: Scene,
             low_contrast: bool) -> np.ndarray:  # fmt: skip
    """A ``side`` x ``side`` piece of ``frame`` from a random place: an object made of
    the scene's own stuff (a lump of dough, a peel, a rag). Of TEXTURE_TRIES places, the
    first whose colour (as painted) stands out from ``scene`` (or, ``low_contrast``,
    barely does), else the one that stands out most (or least)."""
    h, w = frame.shape[:2]
    if side >= min(h, w):
        return np.full((side, side, 3), frame.reshape(-1, 3).mean(axis=0), np.float32)
    best, best_score = None, 0.0
    for _ in range(TEXTURE_TRIES):
        y, x = int(rng.integers(0, h - side)), int(rng.integers(0, w - side))
        piece = frame[y : y + side, x : x + side].astype(np.float32)
        # As painted: the texture's own light, lit again by the scene's (see paint).
        gap = scene.gap(piece.reshape(-1, 3).mean(axis=0) * scene.light * 0.95)
        if (FAINT[0] <= gap <= FAINT[1]) if low_contrast else gap >= STAND_OUT:
            return piece
        score = -abs(gap - FAINT[0]) if low_contrast else gap
        if best is None or score > best_score:
            best, best_score = piece, score
    assert best is not None
    return best


class Knock(Event):
    """An upright bottle or carton knocked over: it tips up onto its bottom corner,
    passes its balance point and falls flat like a rod about its end, landing in
    0.4-0.8 s with a small bounce. It stands there from the first frame."""

    kind = "knock"

    def __init__(self, rng: np.random.Generator, geo: Geometry) -> None:
        super().__init__(rng, geo)
        w, h = geo.width, geo.height
        kind = "bottle" if rng.random() < 0.5 else "carton"
        self.sound = SOUND[kind]
        # A bottle or a packet on a counter, KNOCK_TALL of the frame's height tall.
        self.shape = make_shape(kind, rng, h * rng.uniform(*KNOCK_TALL))
        tall, wide = self.shape.length, self.shape.thickness
        self.side = 1 if rng.random() < 0.5 else -1  # falls to the right, or left
        # Its base on the lower 60 % of the picture, its top in view; standing and
        # lying it stays in the picture.
        base_y = rng.uniform(max(0.4 * h, tall + MARGIN), 0.95 * h)
        lo_x, hi_x = wide / 2 + MARGIN, w - wide / 2 - tall - MARGIN
        if hi_x <= lo_x:  # (a narrow frame: room only from edge to edge)
            lo_x = hi_x = (w - tall) / 2
        cx = rng.uniform(lo_x, hi_x)
        cx = cx if self.side > 0 else w - cx
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
        gain = self.scene.light * shade_gain(self.shape)
        colour = pick_colour(rng, self.scene, self.low_contrast, PALETTE, gain)
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
