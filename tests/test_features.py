"""FrameFeatures on hand-made grey frames (no video): what each number means."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from clipkit.analysis.analyse import ROW_FIELDS, FrameFeatures

W, H = 320, 180


def texture(seed: int = 0) -> np.ndarray:
    """A smooth random texture (like a worktop) that phase correlation can lock on to."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(40, 210, (H // 6 + 3, W // 6 + 3)).astype(np.float32)
    big = np.kron(coarse, np.ones((6, 6), np.float32))
    return cv2.GaussianBlur(big, (0, 0), 2.0)[:H, :W].clip(0, 255).astype(np.uint8)


def rows(frames: list[np.ndarray], fps: float = 30.0) -> list[dict[str, float]]:
    ff = FrameFeatures(W, H)
    return [dict(zip(ROW_FIELDS, ff.step(i / fps, f), strict=True)) for i, f in enumerate(frames)]


def with_square(base: np.ndarray, x: int, y: int, size: int = 20) -> np.ndarray:
    f = base.copy()
    f[y : y + size, x : x + size] = 255
    return f


def test_still_picture_has_no_motion() -> None:
    base = texture()
    r = rows([base, base.copy(), base.copy()])
    assert all(x["motion"] == 0.0 and x["camera"] == 0.0 for x in r[1:])
    assert np.isnan(r[1]["motion_x"])


def test_moving_object_is_located() -> None:
    base = texture()
    frames = [with_square(base, 240 + 6 * i, 40) for i in range(4)]
    r = rows(frames)[1:]
    for x in r:
        assert 0.002 < x["motion"] < 0.05  # the two strips the square left and entered
        assert x["camera"] == 0.0  # a small object does not move the camera estimate
        assert 0.75 < x["motion_x"] < 0.85  # the square sits at ~0.8 of the width
        assert 0.2 < x["motion_y"] < 0.35


def test_camera_shift_is_compensated_and_measured() -> None:
    big = np.tile(texture(1), (1, 2))
    frames = [np.ascontiguousarray(big[:, 4 * i : 4 * i + W]) for i in range(5)]
    r = rows(frames)[1:]
    for x in r:
        # 4 px a frame at 30 fps over 320 px: 0.375 frame widths a second.
        assert x["camera"] == pytest.approx(0.375, rel=0.15)
        assert x["shift"] == pytest.approx(0.375, rel=0.15)
        assert x["motion"] < 0.02  # the picture moved, nothing in it did


def test_light_step_is_not_motion() -> None:
    base = texture(2)
    brighter = np.clip(base.astype(np.int16) + 30, 0, 255).astype(np.uint8)
    r = rows([base, brighter])
    assert r[1]["motion"] < 0.01
    assert r[1]["brightness"] > r[0]["brightness"] + 0.1


def test_cut_score_separates_a_new_picture_from_the_same_one() -> None:
    a, b = texture(3), texture(4)
    black = np.zeros_like(a)
    r = rows([a, a.copy(), b, b.copy(), black, black.copy()])
    assert r[1]["cut"] == pytest.approx(0.0, abs=1e-4)  # the same picture
    assert r[2]["cut"] > 0.5  # a new, unrelated picture: a hard cut
    assert r[3]["cut"] == pytest.approx(0.0, abs=1e-4)
    assert r[5]["cut"] == 0.0  # black after black (a covered lens) is not a cut
