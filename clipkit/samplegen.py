"""Deterministic sample footage: kitchen scenes with known mishaps, and their labels.

Each scene is described by a :class:`SceneSpec` (shots, happenings, camera style); the
same description draws the frames, mixes the audio and writes the ground truth, so the
labels always match what was drawn. Same spec and seed, same frames and sound.

    python -m clipkit.samplegen samples/      # the committed samples + labels.yaml

A benchmark can render any spec at any size::

    render_scene(bench_spec(60.0), "big.mp4", width=1920, height=1080, fps=30,
                 x264_params="bframes=0")
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import subprocess
import sys
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import cv2
import numpy as np

from clipkit.errors import ClipkitError
from clipkit.media.ffmpeg import die_with_clipkit_here, ffmpeg_exe

log = logging.getLogger(__name__)

RGB = tuple[int, int, int]
Point = tuple[float, float]
Color = Sequence[float] | float
SAMPLE_RATE = 48_000
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
SKIN: RGB = (214, 160, 128)


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


def _drop_height(tau: float) -> float:
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


def _ease(x: float) -> float:
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


# --------------------------------------------------------------------- textures


def _fbm(rng: np.random.Generator, h: int, w: int, cell: float, octaves: int = 4) -> np.ndarray:
    """Smooth value noise in 0..1, features about ``cell`` px across."""
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for _ in range(octaves):
        gh, gw = max(2, int(h / cell) + 2), max(2, int(w / cell) + 2)
        grid = rng.random((gh, gw), dtype=np.float32)
        out += amp * cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
        total += amp
        amp, cell = amp * 0.5, max(cell / 2, 1.0)
    return np.clip(out / total, 0, 1)


def _surface(rng: np.random.Generator, kind: str, h: int, w: int, u: float) -> np.ndarray:
    """A counter top as float RGB 0..255."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    n = _fbm(rng, h, w, 60 * u)
    if kind == "wood":
        grain = 0.5 + 0.5 * np.sin(yy / (5 * u) + 9 * n + 2 * _fbm(rng, h, w, 200 * u))
        shade = 0.78 + 0.22 * grain + 0.15 * (_fbm(rng, h, w, 8 * u, 2) - 0.5)
        shade[(yy % (70 * u)) < 1.5 * u] *= 0.55  # seams between planks
        base = np.array([150, 103, 62], np.float32)
    elif kind == "stone":
        speck = (rng.random((h, w), dtype=np.float32) < 0.04) * rng.uniform(-0.5, 0.4, (h, w))
        shade = 0.8 + 0.35 * (n - 0.5) + cv2.GaussianBlur(speck.astype(np.float32), (3, 3), 0.7)
        base = np.array([112, 110, 108], np.float32)
    else:  # marble
        vein = np.abs(np.sin(xx / (90 * u) + yy / (160 * u) + 7 * n)) ** 0.25
        shade = 0.72 + 0.28 * vein
        base = np.array([232, 228, 220], np.float32)
    return shade[..., None] * base


def _wall(rng: np.random.Generator, h: int, w: int, u: float) -> np.ndarray:
    """Cream tiles with grout, as float RGB."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    tile = 46 * u
    grout = ((yy % tile) < 2 * u) | ((xx % tile) < 2 * u)
    per_tile = rng.uniform(0.93, 1.05, (int(h / tile) + 2, int(w / tile) + 2)).astype(np.float32)
    shade = per_tile[(yy // tile).astype(int), (xx // tile).astype(int)]
    shade = shade * (0.95 + 0.1 * _fbm(rng, h, w, 30 * u, 2))
    shade[grout] = 0.7
    return shade[..., None] * np.array([218, 208, 188], np.float32)


def _light_map(h: int, w: int, strength: float) -> np.ndarray:
    """Window light from the left times lens vignetting."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    side = 1.0 + strength * (0.5 - xx / w)
    return ((1.0 - 0.22 * r2) * side)[..., None].astype(np.float32)


def _blob(img: np.ndarray, centre: Point, axes: Point, color: Color, angle: float = 0) -> None:
    """A filled, anti-aliased ellipse."""
    c, a = (int(centre[0]), int(centre[1])), (int(axes[0]), int(axes[1]))
    cv2.ellipse(img, c, a, angle, 0, 360, color, -1, cv2.LINE_AA)


def _box(img: np.ndarray, p0: Point, p1: Point, color: Color) -> None:
    """A filled rectangle between two corners."""
    cv2.rectangle(img, (int(p0[0]), int(p0[1])), (int(p1[0]), int(p1[1])), color, -1, cv2.LINE_AA)


# -------------------------------------------------------------------- the scene


class _Painter:
    """Draws one scene's frames at one size. Everything random is drawn from the seed."""

    def __init__(self, spec: SceneSpec, width: int, height: int, fps: float) -> None:
        self.spec, self.w, self.h, self.fps = spec, width, height, fps
        self.u = min(width, height) / 360.0  # sizes below are in px at 360p
        self.margin = int(spec.shake * width) if spec.handheld else 0
        pans = [h for h in spec.happenings if h.kind == "pan"]
        self.pan_span = int(0.8 * width) if pans else 0
        rng = np.random.default_rng(spec.seed)
        self.shake = rng.uniform(0, 2 * math.pi, (2, 3))
        self.backgrounds = {s: self._background(s, rng) for s in spec.shots}
        self.lights = {
            s: _light_map(height, width, 0.15 if s.work == "dish" else 0.4) for s in spec.shots
        }
        self.droplets = {h: rng.uniform(-1, 1, (40, 4)) for h in spec.happenings}
        self.blobs = {h: rng.uniform(0, 2 * math.pi, 4) for h in spec.happenings}

    # geometry -------------------------------------------------------------
    def px(self, nx: float, ny: float) -> tuple[float, float]:
        """World pixel of a point given as a fraction of the (home) view."""
        return self.margin + nx * self.w, self.margin + ny * self.h

    def camera(self, t: float) -> tuple[float, float]:
        """Top-left of the view in the world: pan plus hand shake."""
        x = y = float(self.margin)
        for h in self.spec.happenings:
            if h.kind == "pan":
                tau = t - h.start
                go = _ease(tau / PAN_FAST) - _ease((tau - PAN_FAST - PAN_HOLD) / PAN_BACK)
                x += self.pan_span * go
        if self.spec.handheld and self.spec.shot_at(t).work != "dish":
            f = (0.9, 1.7, 3.1)
            amp = (0.4, 0.2, 0.1)
            for k in range(3):
                x += self.margin * amp[k] * math.sin(2 * math.pi * f[k] * t + self.shake[0, k])
                y += self.margin * amp[k] * math.sin(2 * math.pi * f[k] * t + self.shake[1, k])
        return x, y

    # static set ------------------------------------------------------------
    def _background(self, shot: Shot, rng: np.random.Generator) -> np.ndarray:
        hw, ww = self.h + 2 * self.margin, self.w + 2 * self.margin + self.pan_span
        u = self.u
        img = _surface(rng, shot.surface, hw, ww, u)
        if shot.work != "dish":
            horizon = int(self.margin + 0.28 * self.h)
            img[:horizon] = _wall(rng, horizon, ww, u)
            img[horizon : horizon + int(4 * u)] *= 0.6  # the counter's back edge in shadow
        img = np.clip(img, 0, 255).astype(np.uint8)
        if shot.work == "dish":
            self._plate(img, rng)
        else:
            self._props(img, rng)
        return img

    def _props(self, img: np.ndarray, rng: np.random.Generator) -> None:
        """A bowl, a jar and a towel here and there, away from the action."""
        u, ww = self.u, img.shape[1]
        for k in range(3 + self.pan_span // max(1, self.w // 3)):
            cx = int(self.margin + rng.uniform(0.05, 0.2) * self.w + k * 0.42 * self.w) % ww
            cy = int(self.margin + rng.uniform(0.35, 0.45) * self.h)
            col = tuple(int(c) for c in rng.integers(60, 230, 3))
            if k % 3 == 0:
                _blob(img, (cx, cy), (int(38 * u), int(18 * u)), col)
                inner = tuple(int(c * 0.6) for c in col)
                _blob(img, (cx, cy - int(3 * u)), (int(30 * u), int(11 * u)), inner)
            elif k % 3 == 1:
                _box(img, (cx - int(12 * u), cy - int(50 * u)), (cx + int(12 * u), cy), col)
                _box(
                    img,
                    (cx - int(9 * u), cy - int(58 * u)),
                    (cx + int(9 * u), cy - int(50 * u)),
                    (40, 40, 40),
                )
            else:
                for i in range(5):
                    c = col if i % 2 else (235, 235, 230)
                    x0 = cx + int(i * 10 * u)
                    _box(img, (x0, cy - int(20 * u)), (x0 + int(10 * u), cy + int(25 * u)), c)

    def _plate(self, img: np.ndarray, rng: np.random.Generator) -> None:
        """A finished dish: white plate, pasta, sauce and basil."""
        u = self.u
        cx, cy = (int(v) for v in self.px(0.5, 0.52))
        r = int(125 * u)
        _blob(
            img, (cx + int(6 * u), cy + int(8 * u)), (r, int(r * 0.8)), (150, 145, 140)
        )  # soft shadow
        _blob(img, (cx, cy), (r, int(r * 0.8)), (236, 236, 232))
        _blob(img, (cx, cy), (int(r * 0.7), int(r * 0.56)), (246, 246, 244))
        for _ in range(140):  # strands of pasta
            a, d = rng.uniform(0, 2 * math.pi), rng.uniform(0, 0.5) * r
            p = (int(cx + d * math.cos(a)), int(cy + 0.8 * d * math.sin(a)))
            axes = (int(rng.uniform(8, 20) * u), int(rng.uniform(3, 8) * u))
            cv2.ellipse(
                img,
                p,
                axes,
                rng.uniform(0, 180),
                0,
                rng.uniform(120, 300),
                (228, 190, 95),
                max(1, int(2 * u)),
                16,
            )
        for _ in range(6):
            a, d = rng.uniform(0, 2 * math.pi), rng.uniform(0, 0.25) * r
            p = (int(cx + d * math.cos(a)), int(cy + 0.8 * d * math.sin(a)))
            cv2.circle(img, p, int(rng.uniform(8, 15) * u), (170, 35, 25), -1, 16)
        for _ in range(5):
            a, d = rng.uniform(0, 2 * math.pi), rng.uniform(0, 0.3) * r
            p = (int(cx + d * math.cos(a)), int(cy + 0.8 * d * math.sin(a)))
            _blob(img, p, (int(9 * u), int(5 * u)), (50, 125, 40), rng.uniform(0, 180))

    # one frame -------------------------------------------------------------
    def frame(self, t: float) -> np.ndarray:
        """The displayed RGB picture at ``t`` seconds."""
        shot = self.spec.shot_at(t)
        world = self.backgrounds[shot].copy()
        if shot.work == "stir":
            self._stir(world, t)
        elif shot.work == "chop":
            self._chop(world, t)
        for h in self.spec.happenings:
            tau = t - h.start
            if shot.work == "dish":
                continue
            if h.kind == "drop" and tau >= 0:
                self._drop(world, h, tau)
            elif h.kind == "spill":
                self._spill(world, h, tau)
        view = self._view(world, t)
        if shot.work != "dish":  # working shots are a touch soft; the dish is crisp
            view = cv2.GaussianBlur(view, (0, 0), 0.7 * self.u)
        view = self._hand(view, t)
        return self._expose(view, shot, t)

    def _view(self, world: np.ndarray, t: float) -> np.ndarray:
        """Crop the camera's view, smeared along a fast pan."""
        x, y = self.camera(t)
        m = np.array([[1, 0, -x], [0, 1, -y]], np.float32)
        view = cv2.warpAffine(
            world, m, (self.w, self.h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
        speed = abs(self.camera(t + 0.25 / self.fps)[0] - self.camera(t - 0.25 / self.fps)[0])
        if speed > 3:
            view = cv2.blur(view, (int(speed), 1))
        return view

    def _expose(self, view: np.ndarray, shot: Shot, t: float) -> np.ndarray:
        """Room light, vignetting and sensor noise (stronger when it is dark)."""
        gain = 1.0
        for h in self.spec.happenings:
            if h.kind == "light" and h.start <= t < h.start + LIGHT_OFF:
                gain = 0.13
        rng = np.random.default_rng([self.spec.seed, int(round(t * 1000))])
        noise = rng.standard_normal((self.h, self.w, 1), dtype=np.float32)
        sigma = 3.0 / math.sqrt(gain)  # ISO noise: more gain in the dark
        out = view.astype(np.float32) * (self.lights[shot] * gain) + sigma * noise
        return np.clip(out, 0, 255).astype(np.uint8)

    # normal work -------------------------------------------------------------
    def _arm(self, img: np.ndarray, hand: tuple[int, int], elbow: tuple[int, int]) -> None:
        """A forearm from off-frame to a hand holding something."""
        u = self.u
        cv2.line(img, elbow, hand, (190, 140, 110), int(24 * u), 16)
        _blob(img, hand, (int(22 * u), int(16 * u)), SKIN, 20)

    def _stir(self, img: np.ndarray, t: float) -> None:
        """A spoon circling in a pot of soup, once every 1.3 s, all the time."""
        u = self.u
        cx, cy = (int(v) for v in self.px(0.4, 0.62))
        rx, ry = int(80 * u), int(50 * u)
        _blob(img, (cx, cy + int(10 * u)), (rx + int(6 * u), ry + int(6 * u)), (45, 45, 50))
        _blob(img, (cx, cy), (rx, ry), (150, 150, 155))
        _blob(img, (cx, cy), (rx - int(7 * u), ry - int(6 * u)), (180, 95, 40))
        a = 2 * math.pi * t / 1.3
        for k in range(9):  # vegetables carried round by the stirring
            b = a * 0.8 + k * 0.7
            d = 0.25 + 0.07 * (k % 5)
            p = (int(cx + rx * d * 2 * math.cos(b) * 0.8), int(cy + ry * d * 2 * math.sin(b) * 0.8))
            col = (240, 200, 60) if k % 2 else (80, 150, 50)
            cv2.circle(img, p, int(6 * u), col, -1, 16)
        bowl = (int(cx + 0.5 * rx * math.cos(a)), int(cy + 0.5 * ry * math.sin(a)))
        # The hand moves less than the spoon's bowl: the spoon pivots in the fingers.
        grip = (int(cx + 70 * u + 0.3 * (bowl[0] - cx)), int(cy - 95 * u + 0.3 * (bowl[1] - cy)))
        cv2.line(img, bowl, grip, (120, 80, 45), int(7 * u), 16)
        _blob(img, bowl, (int(14 * u), int(9 * u)), (130, 88, 50), math.degrees(a))
        self._arm(img, grip, (cx + int(210 * u), cy - int(255 * u)))  # the elbow stays put

    def _chop(self, img: np.ndarray, t: float) -> None:
        """A knife chopping a carrot, 2.6 strokes a second, rocking on its tip."""
        u = self.u
        bx, by = (int(v) for v in self.px(0.38, 0.66))
        _box(
            img,
            (bx - int(120 * u), by - int(45 * u)),
            (bx + int(120 * u), by + int(45 * u)),
            (196, 160, 110),
        )
        strokes = t * 2.6
        lift = 0.5 - 0.5 * math.cos(2 * math.pi * (strokes % 1.0))
        # The knife works slowly along the carrot and back: no sudden jumps.
        kx = bx + int(45 * u * (0.5 - 0.5 * math.cos(2 * math.pi * t / 11.0)))
        _box(img, (bx - int(80 * u), by - int(9 * u)), (kx, by + int(9 * u)), (235, 120, 30))
        for i in range(10):  # slices already cut, in a little heap
            x0 = bx - int(80 * u) - int((10 - i) * 5 * u)
            top, bottom = (by - int(9 * u), by + int(9 * u))
            _box(img, (x0, top), (x0 + int(4 * u), bottom), (225, 110, 25))
        ang = math.radians(8 + 12 * lift)
        tip = (kx - int(25 * u), by)
        heel = (int(tip[0] + 95 * u * math.cos(ang)), int(tip[1] - 95 * u * math.sin(ang)))
        back = (int(heel[0] + 40 * u * math.cos(ang)), int(heel[1] - 40 * u * math.sin(ang)))
        cv2.line(img, tip, heel, (200, 205, 210), int(14 * u), 16)
        cv2.line(img, heel, back, (35, 30, 30), int(9 * u), 16)
        self._arm(img, back, (bx + int(200 * u), by - int(190 * u)))  # the elbow stays put
        hold = (bx - int(100 * u), by - int(14 * u) + int(2 * u * math.sin(t * 3)))
        self._arm(img, hold, (hold[0] - int(120 * u), hold[1] - int(130 * u)))

    # mishaps -------------------------------------------------------------------
    def _streak(
        self,
        img: np.ndarray,
        p0: tuple[float, float],
        p1: tuple[float, float],
        r: float,
        color: RGB,
    ) -> None:
        """A fast round object seen through an open shutter: a translucent streak."""
        x0, x1 = sorted((p0[0], p1[0]))
        y0, y1 = sorted((p0[1], p1[1]))
        pad = int(r) + 3
        a, b = max(0, int(y0) - pad), min(img.shape[0], int(y1) + pad + 1)
        c, d = max(0, int(x0) - pad), min(img.shape[1], int(x1) + pad + 1)
        if a >= b or c >= d:
            return
        roi = img[a:b, c:d]
        layer = roi.copy()
        q0 = (int(p0[0]) - c, int(p0[1]) - a)
        q1 = (int(p1[0]) - c, int(p1[1]) - a)
        cv2.line(layer, q0, q1, color, max(1, int(2 * r)), 16)
        cv2.circle(layer, q1, max(1, int(r)), color, -1, 16)
        length = math.dist(p0, p1)
        alpha = min(1.0, (2 * r + 1) / (2 * r + 1 + length)) ** 0.5
        roi[:] = cv2.addWeighted(layer, alpha, roi, 1 - alpha, 0)

    def _drop(self, img: np.ndarray, h: Happening, tau: float) -> None:
        """Something falls from above the frame, hits the counter, bounces and rolls."""
        u, half = self.u, 0.25 / self.fps
        r = 28 * u
        floor = self.px(0, 0.8)[1] - r
        top = self.px(0, -0.12)[1]

        def pos(s: float) -> tuple[float, float]:
            s = max(s, 0.0)
            roll = min(s, drop_impacts()[-1] + DROP_ROLL)
            x = self.px(h.x, 0)[0] + 60 * u * roll
            return x, floor - (floor - top) * _drop_height(s)

        p0, p1 = pos(tau - half), pos(tau + half)
        lift = (floor - p1[1]) / (floor - top)
        _blob(
            img, (int(p1[0]), int(floor + r)), (int(r * (1 + lift)), int(r * 0.35)), (60, 50, 45)
        )  # its shadow, softer when it is high
        self._streak(img, p0, p1, r, h.color)
        if tau > DROP_FALL:  # bits knocked off at the first impact
            hit = (pos(DROP_FALL)[0], floor + 0.5 * r)
            self._droplets(img, h, hit, tau - DROP_FALL, 14)
        if p0 == p1:  # at rest: give it some shading
            hi = tuple(min(255, c + 70) for c in h.color)
            cv2.circle(img, (int(p1[0] - r / 3), int(p1[1] - r / 3)), int(r / 3), hi, -1, 16)

    def _spill(self, img: np.ndarray, h: Happening, tau: float) -> None:
        """A glass of juice tips over: a fast spreading puddle and flying droplets."""
        u = self.u
        px, py = self.px(h.x, h.y)
        if tau > SPILL_TIP:
            self._puddle(img, h, (px + 75 * u, py), tau - SPILL_TIP)
        ang = math.radians(90 * min(1.0, max(0.0, tau) / SPILL_TIP) ** 2)
        gw, gh = 30 * u, 72 * u
        corners = [(-gw, 0.0), (0.0, 0.0), (0.0, -gh), (-gw, -gh)]
        pts = [
            (px + x * math.cos(ang) - y * math.sin(ang), py + x * math.sin(ang) + y * math.cos(ang))
            for x, y in corners
        ]
        poly = np.array(pts, np.int32)
        fill = [
            pts[0],
            pts[1],
            (pts[1][0] + (pts[2][0] - pts[1][0]) * 0.7, pts[1][1] + (pts[2][1] - pts[1][1]) * 0.7),
            (pts[0][0] + (pts[3][0] - pts[0][0]) * 0.7, pts[0][1] + (pts[3][1] - pts[0][1]) * 0.7),
        ]
        if tau < SPILL_TIP:
            cv2.fillPoly(img, [np.array(fill, np.int32)], h.color, 16)
        cv2.polylines(img, [poly], True, (225, 230, 235), max(1, int(2 * u)), 16)
        if tau > SPILL_TIP:
            self._droplets(img, h, (px + 66 * u, py - 12 * u), tau - SPILL_TIP, 40)

    def _puddle(self, img: np.ndarray, h: Happening, c: tuple[float, float], s: float) -> None:
        u = self.u
        radius = 95 * u * (1 - math.exp(-s / 0.15))
        ph = self.blobs[h]
        a = np.linspace(0, 2 * math.pi, 40, endpoint=False)
        rr = radius * (1 + 0.22 * np.sin(3 * a + ph[0]) + 0.12 * np.sin(5 * a + ph[1]))
        pts = np.stack([c[0] + rr * np.cos(a) * 1.3, c[1] + rr * np.sin(a) * 0.45], 1)
        cv2.fillPoly(img, [pts.astype(np.int32)], tuple(int(v * 0.85) for v in h.color), 16)
        inner = (pts - c) * 0.6 + c
        cv2.fillPoly(img, [inner.astype(np.int32)], h.color, 16)

    def _droplets(
        self, img: np.ndarray, h: Happening, c: tuple[float, float], s: float, n: int
    ) -> None:
        """``n`` drops or bits flung from ``c``, ``s`` s ago; they stay where they land."""
        u, half = self.u, 0.25 / self.fps
        g = 1800 * u
        for vx, vy, land, size in self.droplets[h][:n]:
            vx, vy = 260 * u * vx + 120 * u, -220 * u * (1.2 + vy)
            floor = c[1] + 25 * u * (1.5 + land)
            ends = []
            for q in (s - half, s + half):
                q = max(q, 0.0)
                y = c[1] + vy * q + 0.5 * g * q * q
                ends.append((c[0] + vx * q, min(y, floor)))
            self._streak(img, ends[0], ends[1], (3.5 + 1.5 * size) * u, h.color)

    # the hand at the lens --------------------------------------------------------
    def _cover(self, t: float) -> float:
        """How far the hand has come towards the lens: 1 = lens covered."""
        return _cover_at(self.spec, t)

    def _hand(self, view: np.ndarray, t: float) -> np.ndarray:
        """A hand and arm reaching in, big, blurred and dark as it nears the lens."""
        c = self._cover(t)
        if c <= 0.01:
            return view
        w, h = self.w // 4, self.h // 4  # drawn small: it is a blur anyway
        k = max(w, h)
        cx = w * (0.85 - 0.35 * c)
        cy = h * (1.25 - 0.75 * c)
        size = k * (0.18 + 1.3 * c * c)
        mask: np.ndarray = np.zeros((h, w), np.float32)
        _blob(mask, (int(cx), int(cy)), (int(size), int(size * 0.8)), 1.0, -20)
        for i in range(4):  # fingers
            fx = cx - size * (0.55 - 0.3 * i)
            _blob(
                mask,
                (int(fx), int(cy - size * 0.95)),
                (int(size * 0.14), int(size * 0.45)),
                1.0,
                -15 + 8 * i,
            )
        cv2.line(mask, (int(cx), int(cy)), (int(cx + size), int(h * 2)), 1.0, int(size * 1.1))
        sigma = 1 + 10 * c * c
        mask = cv2.GaussianBlur(mask, (0, 0), sigma)
        mask = cv2.resize(mask, (self.w, self.h), interpolation=cv2.INTER_LINEAR)[..., None]
        shade = (1.0 - 0.8 * c) * np.linspace(1.1, 0.8, self.h, dtype=np.float32)[:, None, None]
        skin = np.array(SKIN, np.float32) * shade
        dim = 1.0 - 0.5 * c  # the hand also blocks the room light
        out = view.astype(np.float32) * dim * (1 - mask) + skin * mask
        return np.clip(out, 0, 255).astype(np.uint8)


# ------------------------------------------------------------------------ sound


def _band(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Band-pass by zeroing FFT bins: crude, but these are noises, not music."""
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)
    spec[(f < lo) | (f > hi)] = 0
    return np.fft.irfft(spec, len(x)).astype(np.float32)


def _decay(seconds: float, tau: float) -> np.ndarray:
    return np.exp(-np.arange(int(seconds * SAMPLE_RATE)) / (tau * SAMPLE_RATE)).astype(np.float32)


def _ring(rng: np.random.Generator, freqs: list[float], seconds: float, tau: float) -> np.ndarray:
    """Decaying partials: knocks, clinks and clangs."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    out = sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) / (1 + i) for i, f in enumerate(freqs))
    return (np.asarray(out) * _decay(seconds, tau)).astype(np.float32)


def _burst(
    rng: np.random.Generator, seconds: float, lo: float, hi: float, tau: float
) -> np.ndarray:
    noise = _band(rng.standard_normal(int(seconds * SAMPLE_RATE)).astype(np.float32), lo, hi)
    return noise / (np.abs(noise).max() + 1e-9) * _decay(seconds, tau)


def _add(track: np.ndarray, t: float, sound: np.ndarray, level: float) -> None:
    i = int(round(t * SAMPLE_RATE))
    if i >= len(track) or i + len(sound) <= 0:
        return
    seg = sound[max(0, -i) : len(track) - i]
    track[max(0, i) : max(0, i) + len(seg)] += level * seg


def _work_sounds(spec: SceneSpec, track: np.ndarray, rng: np.random.Generator) -> None:
    """Quiet knife taps and spoon scrapes for as long as the work goes on."""
    n = len(track)
    t = np.arange(n) / SAMPLE_RATE
    scrape = _band(rng.standard_normal(n).astype(np.float32), 900, 3500)
    scrape /= np.abs(scrape).max() + 1e-9
    for shot in spec.shots:
        if shot.work == "stir":
            on = (t >= shot.start) & (t < shot.end)
            env = 0.5 + 0.5 * np.sin(2 * np.pi * t / 1.3) ** 2
            track[on] += 0.05 * scrape[on] * env[on]
        elif shot.work == "chop":
            k = math.ceil(shot.start * 2.6)
            while k / 2.6 < shot.end:
                _add(track, k / 2.6, _ring(rng, [1800, 3100, 4700], 0.06, 0.012), 0.09)
                _add(track, k / 2.6, _burst(rng, 0.05, 1000, 6000, 0.008), 0.05)
                k += 1


def _event_sounds(spec: SceneSpec, track: np.ndarray, rng: np.random.Generator) -> None:
    """Impacts, clinks and splashes at the mishaps; a click and a clang for the negatives."""
    for h in spec.happenings:
        if h.kind == "drop":
            for i, t in enumerate(drop_impacts()):
                level = 0.55 * DROP_KEEP**i
                _add(track, h.start + t, _ring(rng, [95, 240, 610, 1330], 0.35, 0.07), level)
                _add(track, h.start + t, _burst(rng, 0.2, 150, 5000, 0.02), level)
        elif h.kind == "spill":
            hit = h.start + SPILL_TIP
            _add(track, hit, _ring(rng, [2300, 3900, 5600], 0.4, 0.08), 0.35)
            _add(track, hit + 0.02, _burst(rng, 0.8, 400, 7000, 0.18), 0.45)
        elif h.kind == "light":
            for t in (h.start, h.start + LIGHT_OFF):
                _add(track, t - 0.02, _burst(rng, 0.03, 2000, 8000, 0.004), 0.2)
        elif h.kind == "loud":  # a pan lid clatters somewhere off screen
            _add(track, h.start, _ring(rng, [310, 720, 1170, 1930, 2650], 0.9, 0.25), 0.6)
            _add(track, h.start, _burst(rng, 0.3, 500, 8000, 0.05), 0.5)


def mix_audio(spec: SceneSpec, duration: float | None = None) -> np.ndarray:
    """The scene's mono sound, float32 in -1..1 at SAMPLE_RATE."""
    duration = spec.duration if duration is None else duration
    rng = np.random.default_rng([spec.seed, 7])
    n = int(duration * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    room = _band(rng.standard_normal(n).astype(np.float32), 40, 2500)
    track = 0.008 * room / (room.std() + 1e-9) + 0.003 * np.sin(2 * np.pi * 100 * t)
    track = track.astype(np.float32)
    _work_sounds(spec, track, rng)
    _event_sounds(spec, track, rng)
    rumble = _band(rng.standard_normal(n).astype(np.float32), 30, 500)
    coarse = np.array([_cover_at(spec, x) for x in t[:: SAMPLE_RATE // 100]])
    cover = np.repeat(coarse, SAMPLE_RATE // 100)[:n]
    hand = cover * (1 - cover) * 4  # handling noise while the hand moves
    track += 0.06 * rumble / (rumble.std() + 1e-9) * hand.astype(np.float32)
    return np.clip(track, -1, 1)


def _cover_at(spec: SceneSpec, t: float) -> float:
    """How far the hand has come towards the lens at ``t``: 1 = lens covered."""
    start = 1.0 - _ease(t / spec.hand_in)
    return max(start, _ease((t - (spec.duration - spec.hand_out)) / spec.hand_out))


def _write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes((samples * 32767).astype("<i2").tobytes())


# --------------------------------------------------------------------- encoding

# A phone's variable frame rate: jitter of 15% of a frame, and a stretch (40-60% of
# the clip) where it falls to two thirds of the nominal rate, as in dim light.
VFR_JITTER = 0.15
VFR_SLOW = 2 / 3


def _vfr_plan(spec: SceneSpec, fps: float) -> tuple[int, int]:
    """First and last frame index of the slow stretch."""
    a = int(0.4 * spec.duration * fps)
    return a, a + int(0.2 * spec.duration * fps * VFR_SLOW)


def frame_times(spec: SceneSpec, fps: float) -> list[float]:
    """When each frame is shown. Mirrors :func:`_vfr_expr` exactly for VFR scenes."""
    if not spec.vfr:
        return [i / fps for i in range(int(round(spec.duration * fps)))]
    a, b = _vfr_plan(spec, fps)
    amp, extra = VFR_JITTER / fps, 1 / (fps * VFR_SLOW) - 1 / fps
    times: list[float] = []
    n = 0
    while True:
        t = n / fps + amp * math.sin(1.3 * n) + min(max(n - a, 0), b - a) * extra
        if t >= spec.duration:
            return times
        times.append(t)
        n += 1


def _vfr_expr(spec: SceneSpec, fps: float) -> str:
    a, b = _vfr_plan(spec, fps)
    amp, extra = VFR_JITTER / fps, 1 / (fps * VFR_SLOW) - 1 / fps
    t = f"N/{fps!r}+{amp!r}*sin(1.3*N)+min(max(N-{a},0),{b - a})*{extra!r}"
    return f"settb=1/90000,setpts='({t})/TB'"


def _words(text: str) -> list[str]:
    return text.split()


def _ffmpeg_cmd(
    spec: SceneSpec, coded: tuple[int, int], fps: float, wav: Path, out: Path, x264: list[str]
) -> list[str]:
    cmd = [ffmpeg_exe(), *_words("-hide_banner -loglevel error -nostdin -y")]
    if spec.rotate:  # players turn the landscape-coded frames 90 degrees clockwise
        cmd += ["-display_rotation", "90", "-noautorotate"]
    cmd += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{coded[0]}x{coded[1]}"]
    cmd += ["-framerate", f"{fps!r}", "-i", "-", "-i", str(wav), "-map", "0:v", "-map", "1:a"]
    if spec.vfr:
        cmd += ["-vf", _vfr_expr(spec, fps), "-fps_mode", "passthrough"]
        cmd += _words("-enc_time_base 1:90000 -video_track_timescale 90000")
    # Two threads, named: x264's output depends on its thread count, and the same
    # spec must give the same bytes on any machine.
    cmd += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-threads", "2", *x264]
    cmd += _words("-c:a aac -b:a 64k -ac 1 -movflags +faststart")
    cmd += _words("-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -f mp4")
    return [*cmd, str(out)]


def render_scene(
    spec: SceneSpec,
    path: str | os.PathLike[str],
    width: int | None = None,
    height: int | None = None,
    fps: float | None = None,
    *,
    crf: int = 26,
    preset: str = "faster",
    x264_params: str | None = None,
) -> Path:
    """Draw ``spec`` and encode it (H.264 + AAC, mp4) to ``path``, atomically.

    ``width``/``height`` are the displayed size (defaults: the spec's); a rotated spec
    is coded the other way round. ``x264_params`` go to libx264 as they are, e.g.
    ``"bframes=0"`` or ``"keyint=300"``.
    """
    w, h = width or spec.width, height or spec.height
    if w % 2 or h % 2:
        raise ValueError(f"{spec.name}: width and height must be even, got {w}x{h}")
    fps = fps or spec.fps
    out = Path(path)
    painter = _Painter(spec, w, h, fps)
    coded = (h, w) if spec.rotate else (w, h)
    with tempfile.TemporaryDirectory(prefix="clipkit-samplegen-") as tmp:
        wav = Path(tmp) / "sound.wav"
        _write_wav(wav, mix_audio(spec))
        part = out.with_name(f".{out.name}.part")
        x264 = ["-preset", preset, "-crf", str(crf)]
        x264 += ["-x264-params", x264_params] if x264_params else []
        cmd = _ffmpeg_cmd(spec, coded, fps, wav, part, x264)
        proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE, **die_with_clipkit_here()
        )
        assert proc.stdin is not None
        try:
            with contextlib.suppress(BrokenPipeError):  # ffmpeg stopped: it says why below
                for t in frame_times(spec, fps):
                    frame = painter.frame(t)
                    if spec.rotate:
                        frame = np.ascontiguousarray(np.rot90(frame, k=-1))
                    proc.stdin.write(frame.tobytes())
        except BaseException:
            proc.kill()
            raise
        finally:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
            err = proc.stderr.read() if proc.stderr else b""
            proc.wait()
        if proc.returncode != 0:
            part.unlink(missing_ok=True)
            raise ClipkitError(f"{out}: ffmpeg failed: {err.decode('utf-8', 'replace')[-500:]}")
        os.replace(part, out)
    log.info("wrote %s (%dx%d, %.1f s)", out, w, h, spec.duration)
    return out


# ---------------------------------------------------------------------- samples

APPLE: RGB = (185, 30, 25)
TIN: RGB = (222, 224, 230)
JUICE: RGB = (240, 145, 30)
WINE: RGB = (120, 20, 40)

SCENES: tuple[SceneSpec, ...] = (
    SceneSpec(
        name="counter_stir_drop_spill.mp4",
        duration=42.0,
        seed=11,
        shots=(Shot(0.0, 35.5, "stir", "wood"), Shot(35.5, 42.0, "dish", "marble")),
        happenings=(
            Happening("drop", 12.0, x=0.72, color=APPLE),
            Happening("spill", 24.5, x=0.66, color=JUICE),
        ),
        notes="fixed camera over a wooden counter, a spoon circling in a pot the whole time; "
        "an apple falls into view and bounces (12 s), a glass of juice tips and splashes "
        "(24.5 s); hard cut to the finished dish; hand at the lens at both ends",
    ),
    SceneSpec(
        name="handheld_chop_pan_drop.mp4",
        duration=36.0,
        seed=22,
        shots=(Shot(0.0, 29.5, "chop", "wood"), Shot(29.5, 36.0, "dish", "marble")),
        happenings=(Happening("pan", 9.0), Happening("drop", 19.5, x=0.78, color=TIN)),
        handheld=True,
        notes="handheld, continuous shake, rhythmic chopping with knife taps; a fast pan "
        "away at 9 s (whole-frame motion, not an event) and a slow drift back; a tin "
        "falls and clatters at 19.5 s; cut to the dish (steady)",
    ),
    SceneSpec(
        name="negative_cut_light_clang.mp4",
        duration=40.0,
        seed=33,
        shots=(
            Shot(0.0, 14.0, "chop", "wood"),
            Shot(14.0, 33.5, "stir", "stone"),
            Shot(33.5, 40.0, "dish", "marble"),
        ),
        happenings=(Happening("light", 20.0), Happening("loud", 27.0)),
        notes="negative: busy chopping, a hard cut at 14 s to stirring on stone, the room "
        "light off at 20 s and on again at 21.2 s, a loud clang off screen at 27 s with "
        "no motion; no mishap",
    ),
    SceneSpec(
        name="portrait_phone_spill.mp4",
        duration=30.0,
        seed=44,
        shots=(Shot(0.0, 23.5, "stir", "stone"), Shot(23.5, 30.0, "dish", "marble")),
        happenings=(Happening("spill", 13.0, x=0.3, y=0.86, color=WINE),),
        width=360,
        height=640,
        handheld=True,
        shake=0.02,  # light: half the handheld sample's
        rotate=True,
        vfr=True,
        notes="phone footage: 9:16, coded 640x360 with a 90 degree display rotation, "
        "variable frame rate (jitter, and ~20 fps from 12 s to 18 s); light shake; a glass "
        "of red wine tips and splashes at 13 s",
    ),
)


def bench_spec(duration: float = 60.0, seed: int = 1) -> SceneSpec:
    """A long fixed-camera scene for benchmarks: stirring, a drop, a spill, the dish."""
    dish = duration - 6.5
    return SceneSpec(
        name=f"bench_{int(duration)}s.mp4",
        duration=duration,
        seed=seed,
        shots=(Shot(0.0, dish, "stir", "wood"), Shot(dish, duration, "dish", "marble")),
        happenings=(
            Happening("drop", duration * 0.3, color=APPLE),
            Happening("spill", duration * 0.6, x=0.66, color=JUICE),
        ),
        notes="benchmark scene",
    )


LABELS_HEADER = """\
# Ground truth for the generated samples. Written by `python -m clipkit.samplegen`
# (make samples) from the generator's scene descriptions: do not edit by hand.
# Times are seconds from the start of the file (as ffmpeg decodes it).
#
#   events:   windows where a mishap happens and a detector must report a moment
#             (from just before the burst starts to just after it ends).
#   ignore:   windows where reporting is neither right nor wrong; nothing else in
#             the file should be reported.
#   recovery: the calm, sharp finished-dish shot near the end of the file.
#   notes:    what the clip shows and what makes it hard.
"""


def _flow(value: object) -> str:
    return str(value).replace("'", "")


def labels_yaml(scenes: tuple[SceneSpec, ...] = SCENES) -> str:
    """labels.yaml's text for ``scenes``."""
    import yaml  # only needed here

    parts = [LABELS_HEADER]
    for spec in scenes:
        lab = labels(spec)
        notes = yaml.safe_dump(lab["notes"], width=10_000).strip().removesuffix("...").strip()
        parts.append(
            f"\n{spec.name}:\n  events: {_flow(lab['events'])}\n  ignore: {_flow(lab['ignore'])}"
            f"\n  recovery: {_flow(lab['recovery'])}\n  notes: {notes}\n"
        )
    return "".join(parts)


def write_samples(
    outdir: str | os.PathLike[str], scenes: tuple[SceneSpec, ...] = SCENES, **render_options: object
) -> list[Path]:
    """Render every scene into ``outdir`` and write its labels.yaml."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [render_scene(spec, out / spec.name, **render_options) for spec in scenes]  # type: ignore[arg-type]
    (out / "labels.yaml").write_text(labels_yaml(scenes))
    return paths


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m clipkit.samplegen", description="Write the sample footage and labels.yaml."
    )
    parser.add_argument("outdir", help="folder to write into, e.g. samples/")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    write_samples(args.outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
