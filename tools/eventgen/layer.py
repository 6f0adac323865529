"""What an event paints into one frame: a small premultiplied layer and its blending.

A layer covers a box of the frame: ``rgb`` is the light it adds (already multiplied by
its coverage) and ``a`` how much of the background it hides, so the result is
``background * (1 - a) + rgb``. That one rule covers an opaque object (a = 1), a
semi-transparent liquid, a shadow (rgb = 0) and a flame's glow (a = 0, pure added
light), and averaging layers is motion blur.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class Layer:
    """A premultiplied BGR layer whose top-left corner is at (x0, y0) in the frame."""

    x0: int
    y0: int
    rgb: np.ndarray  # (h, w, 3) float32, 0..255 scale, premultiplied
    a: np.ndarray  # (h, w) float32, 0..1

    @property
    def box(self) -> tuple[int, int, int, int]:
        h, w = self.a.shape
        return self.x0, self.y0, self.x0 + w, self.y0 + h

    @staticmethod
    def empty(x0: int, y0: int, x1: int, y1: int) -> Layer:
        w, h = max(x1 - x0, 1), max(y1 - y0, 1)
        return Layer(x0, y0, np.zeros((h, w, 3), np.float32), np.zeros((h, w), np.float32))

    def grown(self, box: tuple[int, int, int, int]) -> Layer:
        """This layer on a canvas that also covers ``box``."""
        x0, y0, x1, y1 = self.box
        bx0, by0, bx1, by1 = min(x0, box[0]), min(y0, box[1]), max(x1, box[2]), max(y1, box[3])
        if (bx0, by0, bx1, by1) == (x0, y0, x1, y1):
            return self
        out = Layer.empty(bx0, by0, bx1, by1)
        out.rgb[y0 - by0 : y1 - by0, x0 - bx0 : x1 - bx0] = self.rgb
        out.a[y0 - by0 : y1 - by0, x0 - bx0 : x1 - bx0] = self.a
        return out

    def over(self, under: Layer | None) -> Layer:
        """This layer composited over ``under`` (the result covers both boxes)."""
        if under is None:
            return self
        box = self.box
        out = under.grown(box).copy()
        ox0, oy0 = out.x0, out.y0
        x0, y0, x1, y1 = box
        sl = np.s_[y0 - oy0 : y1 - oy0, x0 - ox0 : x1 - ox0]
        keep = 1.0 - self.a
        out.rgb[sl] = out.rgb[sl] * keep[..., None] + self.rgb
        out.a[sl] = out.a[sl] * keep + self.a
        return out

    def copy(self) -> Layer:
        return Layer(self.x0, self.y0, self.rgb.copy(), self.a.copy())


def average(layers: list[Layer]) -> Layer | None:
    """The mean of ``layers`` on one canvas covering them all: what a shutter open over
    their instants records (motion blur)."""
    if not layers:
        return None
    boxes = np.array([la.box for la in layers])
    box = (int(boxes[:, 0].min()), int(boxes[:, 1].min()),
           int(boxes[:, 2].max()), int(boxes[:, 3].max()))  # fmt: skip
    out = Layer.empty(*box)
    for la in layers:
        x0, y0, x1, y1 = la.box
        sl = np.s_[y0 - box[1] : y1 - box[1], x0 - box[0] : x1 - box[0]]
        out.rgb[sl] += la.rgb
        out.a[sl] += la.a
    out.rgb /= len(layers)
    out.a /= len(layers)
    return out


def warped(layer: Layer, m: np.ndarray, width: int, height: int) -> Layer | None:
    """``layer`` moved by the 2x3 affine ``m`` (from the coordinates it was painted in to
    the frame's), cut to a ``width`` x ``height`` frame; None when nothing is left."""
    x0, y0, x1, y1 = layer.box
    corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], np.float64)
    moved = corners @ m[:, :2].T + m[:, 2]
    bx0, by0 = np.floor(moved.min(axis=0)).astype(int) - 1
    bx1, by1 = np.ceil(moved.max(axis=0)).astype(int) + 1
    bx0, by0, bx1, by1 = max(bx0, 0), max(by0, 0), min(bx1, width), min(by1, height)
    if bx1 <= bx0 or by1 <= by0:
        return None
    # Layer pixel (u, v) -> frame (x0 + u, y0 + v) -> m -> box (x - bx0, y - by0).
    local = m.astype(np.float64).copy()
    local[:, 2] = m[:, :2] @ np.array([x0, y0], np.float64) + m[:, 2] - [bx0, by0]
    size = (bx1 - bx0, by1 - by0)
    stack = np.dstack([layer.rgb, layer.a])
    out = cv2.warpAffine(stack, local, size, flags=cv2.INTER_LINEAR, borderValue=0)
    return Layer(int(bx0), int(by0), np.ascontiguousarray(out[..., :3]), out[..., 3].copy())


def blend(frame: np.ndarray, layer: Layer, noise: float, rng: np.random.Generator) -> None:
    """Composite ``layer`` into the uint8 BGR ``frame`` in place. Where the layer hides
    the background it gets sensor noise of ``noise`` levels (standard deviation), so a
    painted object is no cleaner than the footage around it."""
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = layer.box
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if cx1 <= cx0 or cy1 <= cy0:
        return
    sl = np.s_[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
    a, rgb = layer.a[sl], layer.rgb[sl]
    region = frame[cy0:cy1, cx0:cx1].astype(np.float32)
    out = region * (1.0 - a[..., None]) + rgb
    if noise > 0:
        grain = rng.normal(0.0, noise, a.shape).astype(np.float32)
        out += (a * grain)[..., None]
    frame[cy0:cy1, cx0:cx1] = np.clip(out + 0.5, 0, 255).astype(np.uint8)
