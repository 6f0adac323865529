"""Reframing: the crop follows the motion centre smoothly; portrait is never cropped thin."""

from __future__ import annotations

import numpy as np

from clipkit.reframe import plan_reframe
from clipkit.signals import Signals
from tests.conftest import flat_signals


def _signals(motion_x: np.ndarray, step: float = 0.1) -> Signals:
    t = np.arange(motion_x.size) * step
    return flat_signals(t, float(t[-1] + step), motion_x=motion_x)


def test_crop_follows_action_smoothly() -> None:
    # Action on the left for 5 s, then on the right, with jitter and gaps.
    rng = np.random.default_rng(1)
    x = np.where(np.arange(100) < 50, 0.2, 0.8) + rng.normal(0, 0.05, 100)
    x[[10, 11, 60]] = np.nan
    times = np.arange(0, 10, 1 / 30)
    rf = plan_reframe(1920, 1080, 1080, 1920, "follow", times, _signals(x))
    xs, w = rf.rects[:, 0], rf.rects[0, 2]
    assert w == 608 and (rf.rects[:, 2] == w).all()
    assert (xs >= 0).all() and (xs + w <= 1920).all()
    assert xs[30] < 960 - w / 2 < xs[-30]  # left early, right late
    assert np.abs(np.diff(xs)).max() <= 1920 * 0.02  # no jumps between frames (30 fps)


def test_center_and_no_signals_give_a_fixed_centre_crop() -> None:
    times = np.arange(0, 2, 1 / 30)
    for rf in (
        plan_reframe(1920, 1080, 1080, 1920, "center", times, _signals(np.ones(20))),
        plan_reframe(1920, 1080, 1080, 1920, "follow", times, None),
    ):
        assert (rf.rects == [656, 0, 608, 1080]).all()


def test_portrait_into_landscape_is_fitted_over_blur() -> None:
    rf = plan_reframe(360, 640, 1920, 1080, "follow", np.arange(3) / 30)
    assert rf.mode == "blur"
    frame = np.full((640, 360, 3), 200, np.uint8)
    out = rf.apply(frame, 0)
    assert out.shape == (1080, 1920, 3)
    assert (out[540, 960] == 200).all() and out[540, 50].max() < 200  # sharp middle, dim sides


def test_crop_output_has_preset_size() -> None:
    rf = plan_reframe(640, 360, 1080, 1350, "follow", np.arange(3) / 30)
    frame = np.zeros((360, 640, 3), np.uint8)
    assert rf.apply(frame, 2).shape == (1350, 1080, 3)
