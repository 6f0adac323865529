"""Reframing: the crop holds still over the moment's action; portrait is never cropped thin."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clipkit.reframe import action_around, best_window, plan_reframe
from tests.conftest import SAMPLES


def test_best_window_holds_the_most_action() -> None:
    # Two columns busy on the right: the window centres on them.
    assert best_window(np.array([0, 0, 0, 0, 0, 1, 1, 0.0]), 0.3) == pytest.approx(0.75, abs=0.02)
    # A big region on the left beats a small one on the right.
    centre = best_window(np.array([3, 3, 0, 0, 0, 0, 0, 1.0]), 0.3)
    assert centre is not None and centre < 0.3
    # Action wider than the window: it stays within the frame, over the middle of it.
    assert best_window(np.ones(8), 0.5) == pytest.approx(0.5, abs=0.01)
    # Nothing to hold, or nothing to move.
    assert best_window(np.zeros(8), 0.3) is None and best_window(np.ones(8), 1.0) is None


def test_follow_holds_a_still_crop_over_the_action() -> None:
    action = np.zeros((6, 8))
    action[3:5, 6] = 1.0  # something falls on the right
    rf = plan_reframe(1920, 1080, 1080, 1920, "follow", action)
    x, y, w, h = rf.rect
    assert (w, h) == (608, 1080) and x <= 6.5 / 8 * 1920 - w / 4 and x + w >= 6.5 / 8 * 1920
    assert x + w <= 1920
    # Square from portrait footage: the crop moves down to a spill at the bottom.
    low = np.zeros((6, 8))
    low[5, 2:6] = 1.0
    x, y, w, h = plan_reframe(1080, 1920, 1080, 1080, "follow", low).rect
    assert (x, w, h) == (0, 1080, 1080) and y == 1920 - 1080


def test_center_and_no_action_give_a_fixed_centre_crop() -> None:
    action = np.zeros((6, 8))
    action[:, 0] = 1.0
    for rf in (
        plan_reframe(1920, 1080, 1080, 1920, "center", action),
        plan_reframe(1920, 1080, 1080, 1920, "follow", None),
        plan_reframe(1920, 1080, 1080, 1920, "follow", np.zeros((6, 8))),
    ):
        assert rf.rect == (656, 0, 608, 1080)


@pytest.mark.skipif(not (SAMPLES / "labels.yaml").exists(), reason="no samples/")
@pytest.mark.parametrize("name", ["counter_stir_drop_spill.mp4", "handheld_chop_pan_drop.mp4"])
def test_vertical_crop_of_the_samples_holds_each_event(name: str, tmp_path: Path) -> None:
    # The generator knows where each thing falls or spills; a pot is stirred (or a board
    # chopped) elsewhere all the while, which a crop following all motion drifted to.
    from clipkit.analyse import analyse
    from clipkit.probe import probe
    from clipkit.samplegen import SCENES

    spec = next(s for s in SCENES if s.name == name)
    info = probe(SAMPLES / name)
    signals = analyse(info, cache_dir=tmp_path)
    events = [h for h in spec.happenings if h.kind in ("drop", "spill")]
    assert events
    for h in events:
        rf = plan_reframe(
            info.width, info.height, 1080, 1920, "follow", action_around(signals, h.start + 0.3)
        )
        x, _, w, _ = rf.rect
        assert x < h.x * info.width < x + w, (h, rf.rect)


def test_portrait_into_landscape_is_fitted_over_blur() -> None:
    rf = plan_reframe(360, 640, 1920, 1080, "follow")
    assert rf.mode == "blur"
    frame = np.full((640, 360, 3), 200, np.uint8)
    out = rf.apply(frame)
    assert out.shape == (1080, 1920, 3)
    assert (out[540, 960] == 200).all() and out[540, 50].max() < 200  # sharp middle, dim sides


def test_crop_output_has_preset_size() -> None:
    rf = plan_reframe(640, 360, 1080, 1350, "follow")
    frame = np.zeros((360, 640, 3), np.uint8)
    assert rf.apply(frame).shape == (1350, 1080, 3)
