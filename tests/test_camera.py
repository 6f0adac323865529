"""Camera motion: fitted on generated pans, shakes and zooms, with and without something
moving in the scene; the residual is what the camera does not explain."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from clipkit.analysis.analyse import ROW_FIELDS, FrameFeatures
from clipkit.analysis.camera import CameraTracker
from clipkit.analysis.signals import LOOK_GRID

W, H = 320, 180
FPS = 30.0


def scene(seed: int = 0, w: int = 2 * W, h: int = 2 * H) -> np.ndarray:
    """A large textured worktop the camera looks at part of."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(30, 220, (h // 5 + 3, w // 5 + 3)).astype(np.float32)
    big = cv2.resize(coarse, (w + 15, h + 15), interpolation=cv2.INTER_CUBIC)
    return cv2.GaussianBlur(big, (0, 0), 1.5)[:h, :w].clip(0, 255).astype(np.uint8)


def view(world: np.ndarray, dx: float, dy: float, angle: float = 0.0, zoom: float = 1.0):
    """The camera's W x H picture of ``world``, centred (dx, dy) px off the world's
    centre, rolled by ``angle`` degrees and zoomed by ``zoom``."""
    cx, cy = world.shape[1] / 2 + dx, world.shape[0] / 2 + dy
    m = cv2.getRotationMatrix2D((cx, cy), angle, zoom)
    m[:, 2] += (W / 2 - cx, H / 2 - cy)
    return cv2.warpAffine(world, m, (W, H), flags=cv2.INTER_LINEAR)


def with_object(world: np.ndarray, x: float, y: float, r: int = 9) -> np.ndarray:
    """The world with a bright egg at (x, y) world pixels."""
    w = world.copy()
    cv2.ellipse(w, (int(x), int(y)), (r, int(r * 1.3)), 0, 0, 360, 250, -1, cv2.LINE_AA)
    return w


def rows(frames: list[np.ndarray]) -> tuple[list[dict[str, float]], list[np.ndarray]]:
    ff = FrameFeatures(W, H)
    out, dys = [], []
    for i, f in enumerate(frames):
        out.append(dict(zip(ROW_FIELDS, ff.step(i / FPS, f), strict=True)))
        dys.append(ff.cells_dy.copy())
    return out, dys


def shake(n: int, seed: int = 3) -> np.ndarray:
    """A hand-held camera's wander: a smoothed random walk, a few px a frame."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0, 2.5, (n, 2))
    return np.cumsum(cv2.GaussianBlur(steps, (1, 5), 0), axis=0)


def test_a_pan_is_fitted_and_leaves_no_motion() -> None:
    world = scene()
    frames = [view(world, 5 * i - 40, 0) for i in range(12)]
    r, _ = rows(frames)
    for x in r[1:]:
        assert x["shift"] == pytest.approx(5 / W * FPS, rel=0.1)  # frame widths a second
        assert x["camera"] == pytest.approx(x["shift"])  # ...and compensated
        assert x["cam_conf"] > 0.8
        assert x["motion"] < 0.01 < x["raw"]


@pytest.mark.parametrize(("angle", "zoom"), [(0.6, 1.0), (0.0, 1.012), (0.4, 0.99)])
def test_roll_and_zoom_are_fitted_too(angle: float, zoom: float) -> None:
    world = scene(1)
    frames = [view(world, 2 * i, -i, angle * i, zoom**i) for i in range(8)]
    r, _ = rows(frames)
    for x in r[1:]:
        assert x["cam_conf"] > 0.7
        assert x["motion"] < 0.02 < x["raw"]


def test_shake_is_compensated_and_a_dropped_object_stands_out() -> None:
    world = scene(2)
    n = 24
    path = shake(n)
    still = [view(world, *path[i]) for i in range(n)]
    # An egg falls 60 px in frames 8..15 (accelerating), in the middle of the picture.
    drop = []
    for i in range(n):
        k = min(max(i - 8, 0), 7)
        y = world.shape[0] / 2 - 40 + 60 * (k / 7) ** 2
        drop.append(view(with_object(world, world.shape[1] / 2, y), *path[i]))
    r_still, _ = rows(still)
    r_drop, dys = rows(drop)
    calm = [x["motion"] for x in r_still[1:]]
    assert max(calm) < 0.01  # the shake alone leaves next to nothing
    assert np.median([x["raw"] for x in r_still[1:]]) > 3 * max(calm)
    falling = [r_drop[i]["motion"] for i in range(10, 16)]
    assert min(falling) > 3 * max(calm)
    # Where it falls, the unexplained motion points down (frame heights a second).
    col = LOOK_GRID[0] // 2
    centre = [dys[i].reshape(LOOK_GRID[1], LOOK_GRID[0])[:, col - 1 : col + 1].max()
              for i in range(11, 16)]  # fmt: skip
    assert max(centre) > 0.3


def test_a_big_moving_person_is_not_taken_for_the_camera() -> None:
    """A fixed camera; something covering over a third of the picture moves across it
    coherently. The still background is the better account: no compensation."""
    world = scene(4)
    bg = view(world, 0, 0)
    person = scene(5, W, H)[:, : W * 2 // 5]
    frames = []
    for i in range(8):
        f = bg.copy()
        x0 = 20 + 6 * i
        f[:, x0 : x0 + person.shape[1]] = person[:, : W - x0][:, : person.shape[1]]
        frames.append(f)
    r, _ = rows(frames)
    for x in r[1:]:
        assert x["camera"] == 0.0
        assert x["motion"] > 0.02


def test_an_unrelated_picture_gives_low_confidence() -> None:
    tr = CameraTracker(W, H)
    tr.step(scene(6)[:H, :W])
    fit = tr.step(scene(7)[:H, :W])
    assert fit is not None and fit.confidence < 0.5


def test_the_fit_repeats_whatever_came_before() -> None:
    """The same pair of frames gives the same fit after any history (analysis in two
    halves must give what one pass gives)."""
    world = scene(8)
    frames = [view(world, *p) for p in shake(10, seed=9)]
    a, b = CameraTracker(W, H), CameraTracker(W, H)
    for f in frames[:6]:
        a.step(f)
    b.step(frames[5])
    fa, fb = a.step(frames[6]), b.step(frames[6])
    assert fa is not None and fb is not None
    assert np.array_equal(fa.matrix, fb.matrix) and fa.confidence == fb.confidence
