"""Reframing: fit a source frame into the preset's frame, with OpenCV.

``follow`` crops to the output's shape with a window that follows the motion
centre from the analysis, smoothed so the frame never jitters; ``center`` crops
the middle; ``blur`` fits the whole frame over a blurred, darkened copy of
itself (also used whenever portrait footage would go into a landscape frame,
so that portrait footage is never cropped to a sliver). Pure numpy/OpenCV:
the crop track is computed once per span from the signals.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from clipkit.signals import Signals

# Gaussian smoothing of the motion centre, seconds: slow enough that the
# window glides instead of twitching with each gesture.
SMOOTH_SIGMA = 1.0
# The blurred background is drawn at 1/8 size: blurring is then cheap and
# the upscale adds more blur for free.
BLUR_SHRINK = 8
# Darkening of the blurred background, so the real frame stands out.
BLUR_DIM = 0.6


def _smooth_centres(signals: Signals | None, axis: str, times: np.ndarray) -> np.ndarray:
    """The smoothed motion centre (0..1) along ``axis`` at ``times``; 0.5 when unknown."""
    if signals is None or signals.t.size < 2:
        return np.full(times.size, 0.5)
    t, c = signals.t, np.asarray(getattr(signals, axis), dtype=float)
    valid = np.isfinite(c)
    if not valid.any():
        return np.full(times.size, 0.5)
    filled = np.interp(t, t[valid], c[valid])  # hold across frames without motion
    step = float(np.median(np.diff(t)))
    sigma = max(SMOOTH_SIGMA / step, 1e-3)
    k = np.arange(-int(3 * sigma), int(3 * sigma) + 1)
    kernel = np.exp(-0.5 * (k / sigma) ** 2)
    padded = np.pad(filled, k.size // 2, mode="edge")
    smooth = np.convolve(padded, kernel / kernel.sum(), mode="valid")
    return np.clip(np.interp(times, t, smooth), 0.0, 1.0)


@dataclass(frozen=True)
class Reframe:
    """How each output frame is cut from the source frame."""

    out_w: int
    out_h: int
    mode: str  # "crop" or "blur"
    rects: np.ndarray  # n x 4 (x, y, w, h) per output frame, crop mode

    def apply(self, frame: np.ndarray, i: int) -> np.ndarray:
        """The output frame (new, writable) for output frame ``i`` from ``frame``."""
        if self.mode == "blur":
            return self._fit_over_blur(frame)
        x, y, w, h = self.rects[min(i, len(self.rects) - 1)]
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
    times: np.ndarray,
    signals: Signals | None = None,
) -> Reframe:
    """The reframing of a span whose output frames show the source at ``times``."""
    aspect = out_w / out_h
    if mode == "blur" or (src_h > src_w and out_w > out_h):
        return Reframe(out_w, out_h, "blur", np.zeros((0, 4), dtype=int))
    x, y, cw, ch = _centre_crop(src_w, src_h, aspect)
    rects = np.tile(np.array([x, y, cw, ch]), (max(1, times.size), 1))
    if mode == "follow" and (cw < src_w or ch < src_h):
        axis = "motion_x" if cw < src_w else "motion_y"
        centre = _smooth_centres(signals, axis, times)
        if axis == "motion_x":
            rects[:, 0] = np.clip(np.round(centre * src_w - cw / 2), 0, src_w - cw)
        else:
            rects[:, 1] = np.clip(np.round(centre * src_h - ch / 2), 0, src_h - ch)
    return Reframe(out_w, out_h, "crop", rects.astype(int))
