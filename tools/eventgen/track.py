"""Following the background's own camera motion, so that a painted object stays put in
the scene when the real camera (hand-held, head-mounted) moves.

The camera's motion between frames is fitted by clipkit's CameraTracker (the one the
analysis uses) on small grey frames, and chained into the map from the event's first
frame to every other frame. Where a fit is unsure (a whip pan, a covered lens) the step
counts as still: the object then stays on the screen rather than jumping.
"""

from __future__ import annotations

import cv2
import numpy as np

from clipkit.analysis.camera import CameraTracker

# Tracking on frames 256 px wide: the tracker's own analysis size is 320, and the scene
# only has to be followed to about a pixel of the full picture.
TRACK_WIDTH = 256
# A fitted motion is used when it explains at least 40 % of the picture's flow samples.
MIN_CONFIDENCE = 0.4
# The camera is taken to move only when a quarter of the steps (and at least 3) say so:
# a fixed camera's picture has people moving in it, and a fit that now and then follows
# them would make a painted object jump by a pixel or two where nothing happens.
MIN_MOVING_SHARE = 0.25
MIN_MOVING_STEPS = 3


def camera_steps(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The camera's motion into each frame from the one before, as (n, 3, 3) maps of
    full-size pixels (the first is the identity), and which steps were taken as moves.
    Each step depends on its two frames alone, so one pass serves every event."""
    n, h, w, _ = frames.shape
    tw = min(TRACK_WIDTH, w)
    th = max(int(round(h * tw / w)), 8)
    k = tw / w
    tracker = CameraTracker(tw, th)
    steps = np.tile(np.eye(3), (n, 1, 1))
    moved = np.zeros(n, bool)
    for i in range(n):
        small = cv2.resize(frames[i], (tw, th), interpolation=cv2.INTER_AREA)
        fit = tracker.step(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
        if fit is not None and fit.moved and fit.confidence >= MIN_CONFIDENCE:
            steps[i, :2] = fit.matrix
            steps[i, :2, 2] /= k  # its shift in full-size pixels (turn and zoom stay)
            moved[i] = True
    return steps, moved


def scene_motion(steps: np.ndarray, moved: np.ndarray, ref: int, first: int) -> np.ndarray | None:
    """(n, 2, 3) affine maps from frame ``ref``'s coordinates to each frame's, chained
    from ``steps`` (frames before ``first`` are left as identity), or None when the
    camera held still from ``first`` on (or moved too seldom to be told from motion in
    the scene)."""
    n = len(steps)
    if int(moved[first + 1 :].sum()) < max(MIN_MOVING_STEPS, MIN_MOVING_SHARE * (n - first - 1)):
        return None
    chain = np.tile(np.eye(3), (n, 1, 1))  # frame ``first`` -> frame i
    for i in range(first + 1, n):
        chain[i] = steps[i] @ chain[i - 1]
    back = np.linalg.inv(chain[ref])
    return np.stack([(c @ back)[:2] for c in chain])
