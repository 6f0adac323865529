"""Camera motion added to a whole finished picture (background and event together, so
the event moves with the scene): a hand-held wobble or a slow pan.

A hand-held camera drifts in a random walk of 1-4 px a frame that keeps coming back
(its velocity is smooth over a few frames, its position pulled gently back to centre)
and rolls a little; a pan glides 4-12 % of the frame sideways with a slight wobble. The
picture is zoomed in just enough that its edges never show.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Share of clips moved, by how: about a third of all clips get a camera motion.
MODES = {"still": 0.67, "handheld": 0.22, "pan": 0.11}
# A hand-held velocity stays correlated over a few frames (0.6 per frame: ~2-3 frames,
# a hand's tremor)...
SMOOTH = 0.6
# ...and the position is pulled back towards centre by 15 % a frame: at 2.5 px a frame
# the picture wanders within about 20 px (so the zoom that hides its edges stays under
# 10 %); at 3 % it drifted 50-80 px and needed 20-45 %.
RETURN = 0.15
# Speeds are given for a 640 px wide picture and scaled with the picture's width.
REFERENCE_WIDTH = 640.0


@dataclass(frozen=True)
class CameraMove:
    """How the camera moves over a clip (its path follows from ``seed``)."""

    mode: str  # "still", "handheld" or "pan"
    seed: int = 0
    speed: float = 0.0  # hand-held: mean px a frame; pan: wobble px a frame
    roll: float = 0.0  # degrees, standard deviation of the roll
    pan: tuple[float, float] = (0.0, 0.0)  # pan: total shift as a share of width, height

    @property
    def moves(self) -> bool:
        return self.mode != "still"


def choose(rng: np.random.Generator) -> CameraMove:
    """A camera motion for one clip."""
    modes = list(MODES)
    mode = str(rng.choice(modes, p=np.array([MODES[m] for m in modes])))
    seed = int(rng.integers(2**31))
    if mode == "handheld":
        return CameraMove(mode, seed, rng.uniform(1.0, 4.0), rng.uniform(0.1, 0.6))
    if mode == "pan":
        sx = rng.uniform(0.04, 0.12) * rng.choice([-1, 1])
        sy = rng.uniform(0.0, 0.04) * rng.choice([-1, 1])
        return CameraMove(mode, seed, rng.uniform(0.3, 0.8), rng.uniform(0.0, 0.2), (sx, sy))
    return CameraMove("still")


def _walk(rng: np.random.Generator, n: int) -> np.ndarray:
    """A smooth random walk pulled back to 0, with mean step 1 (n, 2)."""
    v = np.zeros(2)
    p = np.zeros(2)
    out = np.zeros((n, 2))
    for i in range(n):
        v = SMOOTH * v + np.sqrt(1 - SMOOTH**2) * rng.normal(0, 1, 2)
        p = (1 - RETURN) * p + v
        out[i] = p
    steps = np.sqrt((np.diff(out, axis=0) ** 2).sum(axis=1)).mean() if n > 1 else 1.0
    return out / max(float(steps), 1e-9)


def path(move: CameraMove, n: int, w: int, h: int) -> np.ndarray:
    """(n, 3): the picture's shift in x and y (px) and roll (radians) at each frame."""
    out = np.zeros((n, 3))
    if not move.moves or n == 0:
        return out
    rng = np.random.default_rng(move.seed)
    scale = w / REFERENCE_WIDTH
    out[:, :2] = _walk(rng, n) * move.speed * scale * np.array([1.0, 0.7])
    roll = _walk(rng, n)[:, 0]
    out[:, 2] = np.deg2rad(move.roll) * roll / max(float(roll.std()), 1e-9)
    if move.mode == "pan":
        # It glides between a start in the clip's first 30 % and an end in its last 30 %.
        a = rng.uniform(0.0, 0.3)
        b = rng.uniform(max(a + 0.4, 0.7), 1.0)
        s = np.clip((np.arange(n) / max(n - 1, 1) - a) / (b - a), 0, 1)
        glide = s * s * (3 - 2 * s)
        out[:, 0] += glide * move.pan[0] * w
        out[:, 1] += glide * move.pan[1] * h
        out[:, :2] -= out[:, :2].mean(axis=0)  # centred: the zoom covers both ways
    return out


def _maps(p: np.ndarray, zoom: float, w: int, h: int) -> np.ndarray:
    """(n, 2, 3) maps for path ``p`` at ``zoom``: turned and zoomed about the centre,
    then shifted."""
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    cos, sin = np.cos(p[:, 2]), np.sin(p[:, 2])
    rot = zoom * np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    shift = c + p[:, :2] - rot @ c
    return np.concatenate([rot, shift[:, :, None]], axis=2)


def _covers(ms: np.ndarray, w: int, h: int) -> bool:
    """Whether every output corner of every map comes from inside the scene."""
    corners = np.array([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]], np.float64)
    src = np.einsum("nij,nkj->nki", np.linalg.inv(ms[:, :, :2]),
                    corners[None] - ms[:, None, :, 2])  # fmt: skip
    return bool((src >= -0.5).all() and (src[..., 0] <= w - 0.5).all()
                and (src[..., 1] <= h - 0.5).all())  # fmt: skip


def matrices(move: CameraMove, n: int, w: int, h: int) -> np.ndarray:
    """(n, 2, 3) affine maps from the scene to the moved picture, zoomed in just
    enough that no frame shows past the scene's edges."""
    p = path(move, n, w, h)
    if not move.moves or n == 0:
        return _maps(p, 1.0, w, h)
    lo, hi = 1.0, 2.0
    for _ in range(20):  # bisection to a millionth of the zoom
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if _covers(_maps(p, mid, w, h), w, h) else (mid, hi)
    return _maps(p, hi, w, h)


def apply(frames: np.ndarray, move: CameraMove) -> None:
    """Move the camera over ``frames`` (n, h, w, 3) in place."""
    if not move.moves:
        return
    n, h, w, _ = frames.shape
    for i, m in enumerate(matrices(move, n, w, h)):
        frames[i] = cv2.warpAffine(frames[i], m, (w, h), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REFLECT101)  # fmt: skip
