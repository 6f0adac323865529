"""The camera's own motion between two frames, and what it leaves unexplained.

Dense optical flow (OpenCV's DIS, its fastest preset) on half-size grey frames is
sampled on a regular grid; a similarity transform (shift, rotation, zoom: what a
handheld, head-mounted or panning camera does to the picture) is fitted to the samples
with RANSAC. The share of samples the fit explains is its confidence: a whip pan, a cut
or a covered lens leaves few, and the picture is then not to be trusted. The samples
the fit does not explain are motion in the scene; their vertical part tells which way
it goes (things fall down).

A fit is only taken over "the camera stood still" when that explains clearly more of
the picture: a person filling half of a fixed camera's view moves coherently too, and a
fit that followed them would turn the still background into motion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

# Flow is sampled every 6 half-size pixels (about 26x15 samples on a 160x90 picture):
# DIS's own patches are 8 px with a stride of 4 (at its finest scale, 1/2 of that picture),
# so closer samples would repeat each other.
FLOW_STEP = 6
# DIS computes the flow down to 1/2 of the half-size picture (its fastest preset stops
# at 1/4, where a fitted roll or zoom was off by 0.4 analysed pixels on average over the
# picture, enough to leave every edge as "motion"; at 1/2 it is off by 0.04-0.09 px, for
# 0.15 ms more a frame).
FINEST_SCALE = 1
# A sample agrees with a motion when it lies within half a half-size pixel (one analysed
# pixel) of where the motion puts it: about DIS's precision on real footage.
FIT_TOLERANCE = 0.5
# RANSAC iterations: a similarity needs 2 samples, so 200 draws find a motion shared by
# a fifth of the samples with near certainty (1 - (1 - 0.2^2)^200 > 0.9997).
FIT_ITERS = 200
# RANSAC's draws come from OpenCV's per-thread generator, seeded afresh for each fit.
FIT_SEED = 1
# Fewer samples than this (a picture a few dozen pixels wide) give no fit.
MIN_SAMPLES = 12
# A fitted camera motion is taken when it leaves the typical (median) sample this many
# times closer to where it went than "the camera stood still" does; else the camera is
# taken as still: the simpler account wins a near tie.
MOVE_MARGIN = 1.5
# Pictures narrower or lower than this (half-size) are not halved for the flow.
MIN_FLOW_SIDE = 48
# A fit that moves the picture by less than half an analysed pixel on average is no
# motion worth compensating: about the precision of the flow on real footage.
SUBPIXEL = 0.5


@dataclass(frozen=True)
class CameraFit:
    """How the picture moved from the previous frame to this one."""

    matrix: np.ndarray  # 2x3 similarity, previous -> current, analysed pixels
    confidence: float  # 0..1: share of the flow samples the chosen motion explains
    fitted: float  # mean displacement of the best fit over the picture, analysed px
    moved: bool  # True when the fit, not a still camera, is the chosen motion
    residual_dy: np.ndarray  # per flow sample: unexplained vertical motion, analysed px


IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
EYE = np.eye(2)


def median(x: np.ndarray) -> float:
    """``np.median`` of a 1-D float array, the same value (NaN when one is NaN) at a
    fifth of its cost: the two middle values found by one partial sort of a copy."""
    n = x.size
    k = n // 2
    part = np.partition(x, [k - 1, k, n - 1] if n % 2 == 0 else [k, n - 1])
    if np.isnan(part[-1]):
        return math.nan
    # As np.median: the mean of the two, in the array's own precision.
    return float(part[k]) if n % 2 else float((part[k - 1] + part[k]) / 2)


class CameraTracker:
    """Fits the camera motion between consecutive grey frames of one size."""

    def __init__(self, width: int, height: int) -> None:
        self.w, self.h = width, height
        half = min(width, height) // 2 >= MIN_FLOW_SIDE
        self.k = 2.0 if half else 1.0  # analysed pixels per flow pixel
        self.fw, self.fh = (width // 2, height // 2) if half else (width, height)
        # Samples: a grid in flow pixels, leaving out a step at the border, where the
        # flow has the least picture to go by.
        self.grid = (slice(FLOW_STEP, self.fh - FLOW_STEP + 1, FLOW_STEP),
                     slice(FLOW_STEP, self.fw - FLOW_STEP + 1, FLOW_STEP))  # fmt: skip
        ys, xs = np.mgrid[self.grid]
        self.points = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
        # Where each sample lies in analysed pixels (pixel centres of the two grids).
        self.full = self.points * self.k + (self.k - 1) / 2
        self.corners = np.array(
            [[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]], np.float64
        )
        self.prev: np.ndarray | None = None

    def small(self, frame: np.ndarray) -> np.ndarray:
        """The picture the flow is computed on."""
        if self.k == 1.0:
            return frame
        return cv2.resize(frame, (self.fw, self.fh), interpolation=cv2.INTER_AREA)

    def step(self, frame: np.ndarray) -> CameraFit | None:
        """The motion from the previous frame given to this one (None for the first)."""
        cur = self.small(frame)
        prev, self.prev = self.prev, cur
        if prev is None:
            return None
        return self.fit(prev, cur)

    def fit(self, prev: np.ndarray, cur: np.ndarray) -> CameraFit:
        """The camera motion from ``prev`` to ``cur`` (both at the flow size)."""
        n = self.points.shape[0]
        if n < MIN_SAMPLES:
            return CameraFit(IDENTITY, 0.0, 0.0, False, np.zeros(n))
        # A new DIS for every pair: one that is reused carries buffers from the pairs
        # before into the next result, which would then depend on where decoding began.
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)  # type: ignore[attr-defined]
        dis.setFinestScale(FINEST_SCALE)
        flow = dis.calc(prev, cur, None)
        d = flow[self.grid].reshape(-1, 2)  # (n, 2), flow pixels
        off_still = np.sqrt((d * d).sum(axis=1))
        still = np.count_nonzero(off_still <= FIT_TOLERANCE) / n
        cv2.setRNGSeed(FIT_SEED)  # the same draws every time: results repeat run to run
        m, inliers = cv2.estimateAffinePartial2D(
            self.points, self.points + d, method=cv2.RANSAC,
            ransacReprojThreshold=FIT_TOLERANCE, maxIters=FIT_ITERS, refineIters=5,
        )  # fmt: skip
        if m is None:
            return CameraFit(IDENTITY, still, 0.0, False, d[:, 1] * self.k)
        share = np.count_nonzero(inliers) / n  # the mask holds 0 and 1
        # Each sample's displacement under the fit, in flow pixels; in analysed pixels it
        # is k times that (the linear part is the same in both, see ``_to_analysed``).
        pred = self.points @ (m[:, :2] - EYE).T.astype(np.float32) + m[:, 2].astype(np.float32)
        fitted = self.k * float(np.sqrt((pred * pred).sum(axis=1)).mean())
        off_fit = np.sqrt(((d - pred) ** 2).sum(axis=1))
        moved = fitted >= SUBPIXEL and MOVE_MARGIN * median(off_fit) < median(off_still)
        if moved:
            matrix, residual = self._to_analysed(m), d - pred
        else:
            matrix, share, residual = IDENTITY, still, d
        off = (off_fit if moved else off_still) > FIT_TOLERANCE
        return CameraFit(matrix, share, fitted, moved, np.where(off, residual[:, 1], 0) * self.k)

    def _to_analysed(self, m: np.ndarray) -> np.ndarray:
        """A flow-pixel transform in analysed pixels: x_a = k x_f + c, c = (k - 1) / 2,
        so the linear part stays and the shift becomes k t + (I - A) c."""
        a = m[:, :2]
        c = np.full(2, (self.k - 1) / 2)
        return np.hstack([a, (self.k * m[:, 2] + (np.eye(2) - a) @ c)[:, None]])

    @staticmethod
    def apply(matrix: np.ndarray, pts: np.ndarray) -> np.ndarray:
        return pts @ matrix[:, :2].T + matrix[:, 2]

    def margin(self, matrix: np.ndarray) -> int:
        """Pixels at the border that a warp by ``matrix`` fills from outside the picture."""
        moved = np.abs(self.apply(matrix, self.corners) - self.corners).max()
        return int(math.ceil(moved)) + 1
