"""Static looks: counter tops, tiles, light falloff, and the two shapes everything
is drawn with. Arrays are float or uint8 RGB, sizes in pixels."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

Point = tuple[float, float]
Color = Sequence[float] | float


def fbm(rng: np.random.Generator, h: int, w: int, cell: float, octaves: int = 4) -> np.ndarray:
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


def surface(rng: np.random.Generator, kind: str, h: int, w: int, u: float) -> np.ndarray:
    """A counter top as float RGB 0..255."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    n = fbm(rng, h, w, 60 * u)
    if kind == "wood":
        grain = 0.5 + 0.5 * np.sin(yy / (5 * u) + 9 * n + 2 * fbm(rng, h, w, 200 * u))
        shade = 0.78 + 0.22 * grain + 0.15 * (fbm(rng, h, w, 8 * u, 2) - 0.5)
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


def wall(rng: np.random.Generator, h: int, w: int, u: float) -> np.ndarray:
    """Cream tiles with grout, as float RGB."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    tile = 46 * u
    grout = ((yy % tile) < 2 * u) | ((xx % tile) < 2 * u)
    per_tile = rng.uniform(0.93, 1.05, (int(h / tile) + 2, int(w / tile) + 2)).astype(np.float32)
    shade = per_tile[(yy // tile).astype(int), (xx // tile).astype(int)]
    shade = shade * (0.95 + 0.1 * fbm(rng, h, w, 30 * u, 2))
    shade[grout] = 0.7
    return shade[..., None] * np.array([218, 208, 188], np.float32)


def light_map(h: int, w: int, strength: float) -> np.ndarray:
    """Window light from the left times lens vignetting."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    side = 1.0 + strength * (0.5 - xx / w)
    return ((1.0 - 0.22 * r2) * side)[..., None].astype(np.float32)


def blob(img: np.ndarray, centre: Point, axes: Point, color: Color, angle: float = 0) -> None:
    """A filled, anti-aliased ellipse."""
    c, a = (int(centre[0]), int(centre[1])), (int(axes[0]), int(axes[1]))
    cv2.ellipse(img, c, a, angle, 0, 360, color, -1, cv2.LINE_AA)


def box(img: np.ndarray, p0: Point, p1: Point, color: Color) -> None:
    """A filled rectangle between two corners."""
    cv2.rectangle(img, (int(p0[0]), int(p0[1])), (int(p1[0]), int(p1[1])), color, -1, cv2.LINE_AA)
