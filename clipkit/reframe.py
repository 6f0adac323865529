"""Reframing: fit a source frame into the preset's frame, with OpenCV.

``follow`` holds a still crop of the output's shape over the moment's action: the
regions whose motion stood above their own baseline around the peak (what fell or
spilled, not the stirring that went on all along); ``center`` crops the middle, and
so does ``follow`` for a recovery shot or when nothing stood out; ``blur`` fits the
whole frame over a blurred, darkened copy of itself (also used whenever portrait
footage would go into a landscape frame, so that portrait footage is never cropped to
a sliver). A crop that holds still is what an editor would do for a clip of a few
seconds: a window that followed every gesture drifted towards whatever moved most.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from clipkit.detection import action_map
from clipkit.signals import Signals

# The action of a moment is looked for from 1 s before its peak to 1.5 s after: a thing
# falls, then lands, rolls or spreads.
ACTION_BEFORE = 1.0
ACTION_AFTER = 1.5
# Among crop positions that hold nearly as much of the action as the best one (within
# 2 % of all of it), the one centred nearest the action's centre of mass is taken.
NEAR_BEST = 0.02
# The blurred background is drawn at 1/8 size: blurring is then cheap and
# the upscale adds more blur for free.
BLUR_SHRINK = 8
# Darkening of the blurred background, so the real frame stands out.
BLUR_DIM = 0.6


def action_around(signals: Signals | None, peak: float) -> np.ndarray | None:
    """Where the action of the moment peaking at ``peak`` s is (see
    ``clipkit.detection.action_map``)."""
    if signals is None:
        return None
    return action_map(signals, peak - ACTION_BEFORE, peak + ACTION_AFTER)


def best_window(profile: np.ndarray, frac: float) -> float | None:
    """The centre (0..1) of a window ``frac`` of the way across that holds the most of
    ``profile`` (amounts in equal bins across; spread evenly within a bin), or None when
    there is nothing to hold."""
    total = float(profile.sum())
    if not total > 0 or frac >= 1.0:
        return None
    edges = np.linspace(0.0, 1.0, profile.size + 1)
    held = np.concatenate([[0.0], np.cumsum(profile)])
    starts = np.linspace(0.0, 1.0 - frac, 201)
    cover = np.interp(starts + frac, edges, held) - np.interp(starts, edges, held)
    good = starts[cover >= cover.max() - NEAR_BEST * total]
    centroid = float((profile * (edges[:-1] + edges[1:]) / 2).sum() / total)
    return float(good[np.argmin(np.abs(good + frac / 2 - centroid))] + frac / 2)


@dataclass(frozen=True)
class Reframe:
    """How each output frame is cut from the source frame."""

    out_w: int
    out_h: int
    mode: str  # "crop" or "blur"
    rect: tuple[int, int, int, int] = (0, 0, 0, 0)  # x, y, w, h of the crop

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """The output frame (new, writable) from the source ``frame``."""
        if self.mode == "blur":
            return self._fit_over_blur(frame)
        x, y, w, h = self.rect
        sub = frame[y : y + h, x : x + w]
        if (w, h) == (self.out_w, self.out_h):
            return sub.copy()
        # Bilinear to enlarge, area averaging to shrink (no aliasing).
        interp = cv2.INTER_LINEAR if w < self.out_w else cv2.INTER_AREA
        return cv2.resize(sub, (self.out_w, self.out_h), interpolation=interp)

    def _fit_over_blur(self, frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        k = min(self.out_w / w, self.out_h / h)
        fw, fh = max(2, round(w * k)), max(2, round(h * k))
        bg_w, bg_h = max(2, self.out_w // BLUR_SHRINK), max(2, self.out_h // BLUR_SHRINK)
        x, y, cw, ch = _centre_crop(w, h, self.out_w / self.out_h)
        small = cv2.resize(
            frame[y : y + ch, x : x + cw], (bg_w, bg_h), interpolation=cv2.INTER_AREA
        )
        small = (cv2.GaussianBlur(small, (0, 0), 3) * BLUR_DIM).astype(np.uint8)
        out = cv2.resize(small, (self.out_w, self.out_h), interpolation=cv2.INTER_LINEAR)
        interp = cv2.INTER_LINEAR if k > 1 else cv2.INTER_AREA
        x0, y0 = (self.out_w - fw) // 2, (self.out_h - fh) // 2
        out[y0 : y0 + fh, x0 : x0 + fw] = cv2.resize(frame, (fw, fh), interpolation=interp)
        return out


def _centre_crop(w: int, h: int, aspect: float) -> tuple[int, int, int, int]:
    if w / h > aspect:
        cw = min(w, round(h * aspect))
        return (w - cw) // 2, 0, cw, h
    ch = min(h, round(w / aspect))
    return 0, (h - ch) // 2, w, ch


def plan_reframe(
    src_w: int,
    src_h: int,
    out_w: int,
    out_h: int,
    mode: str,
    action: np.ndarray | None = None,
) -> Reframe:
    """The reframing of a span; ``action`` (rows x columns over the picture, from
    ``action_around``) says where to hold a ``follow`` crop."""
    aspect = out_w / out_h
    if mode == "blur" or (src_h > src_w and out_w > out_h):
        return Reframe(out_w, out_h, "blur")
    x, y, cw, ch = _centre_crop(src_w, src_h, aspect)
    if mode == "follow" and action is not None and (cw < src_w or ch < src_h):
        across = cw < src_w  # the crop moves across (else down)
        full, part = (src_w, cw) if across else (src_h, ch)
        centre = best_window(action.sum(axis=0 if across else 1), part / full)
        if centre is not None:
            at = int(np.clip(round(centre * full - part / 2), 0, full - part))
            x, y = (at, y) if across else (x, at)
    return Reframe(out_w, out_h, "crop", (x, y, cw, ch))
