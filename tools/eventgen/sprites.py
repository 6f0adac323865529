"""Solid objects to drop or knock over: an outline (egg, fruit, box, cup, bottle, a
lump of food, a piece of the background's own texture) and its painted look.

A sprite is painted once, at rest (its long axis along x), and moved and turned for
every instant it is drawn at. Its look is what makes it pass for a real thing at the
detector's 320 px: shading that rounds it, a highlight where it is glossy, grain,
slight defocus, and a brightness that follows the light where it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from tools.eventgen.events import FAINT, Scene, luma, standing_out
from tools.eventgen.layer import Layer

# Outlines are drawn at 4x and shrunk: edges get anti-aliased coverage, as a camera's.
SUPERSAMPLE = 4
# Everyday kitchen colours (RGB): egg shells, produce, packaging, crockery, metal, wood.
PALETTE = (
    (238, 232, 218), (196, 146, 100), (205, 45, 35), (236, 206, 64), (122, 170, 52),
    (236, 132, 34), (206, 176, 128), (182, 150, 102), (232, 232, 230), (34, 33, 36),
    (150, 156, 162), (52, 92, 182), (142, 96, 60), (176, 136, 92), (44, 82, 52),
    (92, 52, 26), (230, 220, 190), (222, 142, 152), (112, 62, 122), (250, 250, 246),
)  # fmt: skip
# Egg shells (RGB): white, brown, cream.
SHELLS = ((238, 232, 218), (196, 146, 100), (226, 204, 168))
# Glossiness (strength of the highlight, 0..1) by outline: shells and crockery shine,
# packaging and food less.
GLOSS = {"egg": 0.12, "round": 0.18, "box": 0.05, "carton": 0.06, "cup": 0.25, "blob": 0.08,
         "patch": 0.03, "bottle": 0.3}  # fmt: skip
# Outlines whose faces are flat (shaded only near the edges) rather than rounded.
FLAT = {"box", "carton"}
# Rectangular outlines: how wide they are as a share of their length (a brick-like box,
# a tall carton or packet, a cup seen from the side).
RECTANGLES = {"box": (0.35, 0.8), "carton": (0.25, 0.6), "cup": (0.7, 0.95)}


@dataclass
class Shape:
    """An outline, centred, long axis along x."""

    kind: str
    mask: np.ndarray  # (s, s) float32 coverage 0..1
    outline: np.ndarray  # (k, 2) float64: outline points, px from the centre
    length: float  # extent along x, px
    thickness: float  # extent along y, px

    @property
    def side(self) -> int:
        return int(self.mask.shape[0])

    def below(self, angle: float) -> float:
        """How far the outline reaches below its centre when turned by ``angle`` (rad,
        clockwise on screen): where it touches the floor."""
        s, c = math.sin(angle), math.cos(angle)
        return float((self.outline[:, 0] * s + self.outline[:, 1] * c).max())


def _polygon(kind: str, rng: np.random.Generator, length: float) -> np.ndarray:
    """Outline points of a ``kind`` object ``length`` px long, centred, long axis x."""
    t = np.linspace(0, 2 * np.pi, 96, endpoint=False)
    a = length / 2
    if kind == "egg":
        b = a * rng.uniform(0.68, 0.8)  # hen's eggs are 0.7-0.8 as wide as long
        k = rng.choice([-1, 1]) * 0.14  # one end narrower
        return np.stack([a * np.cos(t), b * np.sin(t) * (1 - k * np.cos(t))], 1)
    if kind in ("blob", "patch", "round"):
        r = np.ones_like(t)
        # Lumps of food are irregular; fruit only slightly out of round.
        rough = 0.02 if kind == "round" else 0.12
        for k in range(2, 7):
            r += rng.uniform(0, rough * 2 / k) * np.cos(k * t + rng.uniform(0, 2 * np.pi))
        aspect = rng.uniform(0.8, 1.0) if kind == "round" else rng.uniform(0.5, 0.9)
        pts = np.stack([r * np.cos(t), aspect * r * np.sin(t)], 1)
        return pts * a / np.abs(pts[:, 0]).max()
    if kind == "bottle":
        b = a * rng.uniform(0.28, 0.45)  # half the body's width
        neck = b * rng.uniform(0.3, 0.45)
        xs = [-a, 0.25 * a, 0.5 * a, a, a, 0.5 * a, 0.25 * a, -a]
        ys = [-b, -b, -neck, -neck, neck, neck, b, b]
        return np.stack([xs, ys], 1).astype(np.float64)
    lo, hi = RECTANGLES[kind]
    b = a * rng.uniform(lo, hi)
    return np.array([[-a, -b], [a, -b], [a, b], [-a, b]], np.float64)


def make_shape(
    kind: str, rng: np.random.Generator, length: float | None = None, *, area: float | None = None
) -> Shape:
    """A ``kind`` outline ("egg", "round", "box", "carton", "cup", "blob", "patch" or
    "bottle") about ``length`` px long, or covering ``area`` px^2."""
    pts = _polygon(kind, rng, 1.0)
    if area is not None:
        x, y = pts[:, 0], pts[:, 1]
        own = 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
        pts = pts * math.sqrt(area / own)
    else:
        assert length is not None
        pts = pts * length
    reach = float(np.sqrt((pts**2).sum(axis=1)).max())
    side = int(math.ceil(2 * reach)) + 6  # room to turn it, and for its defocus
    big = np.zeros((side * SUPERSAMPLE, side * SUPERSAMPLE), np.uint8)
    centre = side * SUPERSAMPLE / 2
    poly = np.round((pts * SUPERSAMPLE + centre) * 16).astype(np.int32)  # 4 fractional bits
    cv2.fillPoly(big, [poly], 255, lineType=cv2.LINE_AA, shift=4)
    mask = cv2.resize(big, (side, side), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    ext = pts.max(axis=0) - pts.min(axis=0)
    return Shape(kind, mask, pts, float(ext[0]), float(ext[1]))


def bgr(rgb: tuple[int, int, int] | np.ndarray) -> np.ndarray:
    return np.asarray(rgb, np.float32)[::-1].copy()


def pick_colour(
    rng: np.random.Generator,
    scene: Scene,
    low_contrast: bool,
    palette: tuple[tuple[int, int, int], ...] = PALETTE,
    gain: float = 1.0,
) -> np.ndarray:
    """A BGR colour that, painted (times ``gain``: the light there and the object's
    shading), stands out from the background where the object will be (``scene``):
    one of ``palette`` (see events.standing_out); or (``low_contrast``) one close to
    the background's mean colour that barely does: a brown egg on a wooden board."""
    if not low_contrast:
        return bgr(palette[standing_out(rng, [bgr(c) * gain for c in palette], scene)])
    # FAINT grey levels lighter or darker once painted, with a slight tint; the other
    # way where that one is out of reach (lighter than white).
    shift = float(rng.uniform(*FAINT))
    sign = float(rng.choice([-1, 1]))
    tint = rng.normal(0, 6, 3)
    tint -= luma(tint)  # (a change of hue, not of grey)
    tries = []
    for s in (sign, -sign):
        colour = np.clip((scene.around + s * shift + tint) / max(gain, 1e-3), 0, 255)
        gap = scene.gap(colour * gain)
        if FAINT[0] - 0.5 <= gap <= FAINT[1] + 0.5:
            return colour.astype(np.float32)
        # Else the nearest to FAINT from above, or the furthest below it.
        tries.append(((gap < FAINT[0], gap if gap >= FAINT[0] else -gap), colour))
    return min(tries, key=lambda x: x[0])[1].astype(np.float32)


def shade_gain(shape: Shape) -> float:
    """How bright the painted object is on average for its colour (its shading, flat or
    rounded, over its area): what its contrast with the background is judged by."""
    shade = _base_shade(shape)
    return float((shade * shape.mask).sum() / max(float(shape.mask.sum()), 1e-6))


def _base_shade(shape: Shape) -> np.ndarray:
    """Brightness over the object from its form alone: darker towards a rounded
    object's edges, or only near a flat one's."""
    inside = (shape.mask > 0.5).astype(np.uint8)
    d = cv2.distanceTransform(inside, cv2.DIST_L2, 3).astype(np.float32)
    d = d / max(float(d.max()), 1.0)
    if shape.kind in FLAT:
        edge = min(shape.thickness * 0.15, 3.0) / max(shape.thickness / 2, 1.0)
        return 0.78 + 0.22 * np.clip(d / max(edge, 1e-3), 0, 1)
    return 0.5 + 0.5 * np.sqrt(d)


def _shading(
    shape: Shape, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """Brightness over the object (1 = its colour as lit): rounded or flat, lit from
    above at a random slant, with grain; also the canvas coordinates from the centre,
    the light's direction and the object's reach, for its highlight."""
    side = shape.side
    shade = _base_shade(shape)
    # Light from above, up to 50 degrees off vertical either way.
    ang = -np.pi / 2 + float(rng.uniform(-0.9, 0.9))
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) - side / 2
    reach = max(shape.length, shape.thickness) / 2
    along = (xx * np.cos(ang) + yy * np.sin(ang)) / reach
    shade = shade * (1 + rng.uniform(0.1, 0.3) * along)
    grain = rng.normal(0, 1, (side, side)).astype(np.float32)
    smooth = cv2.GaussianBlur(grain, (0, 0), 1.5)
    shade *= 1 + rng.uniform(0.01, 0.04) * grain + rng.uniform(0.02, 0.08) * smooth
    return shade, xx, yy, ang, reach


@dataclass
class Sprite:
    """A painted object: premultiplied colour and coverage on a square canvas."""

    shape: Shape
    rgb: np.ndarray
    a: np.ndarray

    def layer(self, cx: float, cy: float, angle: float) -> Layer:
        """The sprite with its centre at (cx, cy), turned by ``angle`` (clockwise)."""
        side = self.shape.side
        r = side * 0.71 + 1  # half the diagonal: the canvas after any turn
        x0, y0 = int(math.floor(cx - r)), int(math.floor(cy - r))
        size = int(math.ceil(2 * r)) + 1
        c, s = math.cos(angle), math.sin(angle)
        half = side / 2
        m = np.array([[c, -s, cx - x0 - (c * half - s * half)],
                      [s, c, cy - y0 - (s * half + c * half)]])  # fmt: skip
        stack = np.dstack([self.rgb, self.a])
        out = cv2.warpAffine(stack, m, (size, size), flags=cv2.INTER_LINEAR, borderValue=0)
        return Layer(x0, y0, np.ascontiguousarray(out[..., :3]), out[..., 3].copy())


def paint(
    shape: Shape,
    rng: np.random.Generator,
    colour: np.ndarray,
    light: float,
    texture: np.ndarray | None = None,
) -> Sprite:
    """Paint ``shape`` in ``colour`` (BGR), or with ``texture`` (a BGR patch of the
    shape's canvas size), dimmed or brightened by ``light`` (the scene's brightness
    there, 1 = well lit), slightly out of focus."""
    side = shape.side
    shade, xx, yy, ang, reach = _shading(shape, rng)
    if texture is not None:
        base = texture.astype(np.float32)
        shade = 0.75 + 0.25 * shade  # the texture has its own light already
    else:
        base = np.broadcast_to(colour, (side, side, 3)).astype(np.float32)
        if shape.kind in ("box", "carton", "bottle") and rng.random() < 0.5:
            # A printed label across the middle of a carton or bottle.
            other = bgr(PALETTE[int(rng.integers(len(PALETTE)))])
            band = np.abs(xx + rng.uniform(-0.2, 0.2) * reach) < reach * rng.uniform(0.2, 0.4)
            base = np.where(band[..., None], other, base)
        if shape.kind == "cup":
            # The opening at one end: its inside in shadow.
            ex, ew, eh = shape.length / 2, shape.length * 0.08, shape.thickness * 0.45
            rim = ((xx - ex + ew) / ew) ** 2 + (yy / eh) ** 2 < 1
            base = np.where(rim[..., None], base * 0.45, base)
    rgb = base * shade[..., None] * light
    gloss = GLOSS.get(shape.kind, 0.1) * rng.uniform(0.3, 1.2)
    hx, hy = 0.4 * reach * np.cos(ang), 0.4 * reach * np.sin(ang)
    spot = np.exp(-((xx - hx) ** 2 + (yy - hy) ** 2) / (2 * (0.25 * reach) ** 2))
    rgb = rgb + (255 * gloss * light * spot)[..., None]
    rgb = np.clip(rgb, 0, 255).astype(np.float32)
    a = shape.mask.copy()
    # Real footage is rarely in perfect focus: 0.3-1.0 px of blur.
    sigma = rng.uniform(0.3, 1.0)
    prem = cv2.GaussianBlur(rgb * a[..., None], (0, 0), sigma)
    a = cv2.GaussianBlur(a, (0, 0), sigma)
    return Sprite(shape, prem.astype(np.float32), a.astype(np.float32))
