"""Reframing: the crop holds still over the moment's action; portrait is never cropped thin."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clipkit.clips.reframe import Action, action_for, best_window, plan_reframe
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
    from clipkit.analysis.analyse import analyse
    from clipkit.media.probe import probe
    from tools.samplegen import SCENES

    spec = next(s for s in SCENES if s.name == name)
    info = probe(SAMPLES / name)
    signals = analyse(info, cache_dir=tmp_path)
    events = [h for h in spec.happenings if h.kind in ("drop", "spill")]
    assert events
    for h in events:
        action = action_for(signals, h.start - 2.0, h.start + 3.0, h.start + 0.3)
        rf = plan_reframe(info.width, info.height, 1080, 1920, "crop", action)
        for t in (h.start + 0.3, h.start + 1.0):
            x, _, w, _ = rf.rect_at(t)
            assert x < h.x * info.width < x + w, (h, t, rf.rect_at(t))


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


# -- a crop that follows the action -----------------------------------------------------


def _moving(xs: list[float], *, width: float = 0.08, wide: bool = False) -> Action:
    """An Action whose action is a blob at column fraction xs[k] at keyframe k (0.25 s
    apart); ``wide``: a second blob at the far side at once."""
    from clipkit.clips.reframe import TRACK_STEP

    times = np.arange(len(xs)) * TRACK_STEP
    cols = (np.arange(16) + 0.5) / 16
    maps = np.zeros((len(xs), 12, 16))
    for k, x in enumerate(xs):
        maps[k, 4:8] = np.exp(-0.5 * ((cols - x) / width) ** 2)
        if wide:
            maps[k, 4:8] += np.exp(-0.5 * ((cols - (1 - x)) / width) ** 2)
    return Action(times, maps, (float(times[0]), float(times[-1])))


def test_the_crop_follows_action_that_moves_across_ahead_of_it() -> None:
    from clipkit.clips.reframe import LEAD, MAX_PAN, TRACK_STEP

    xs = list(np.linspace(0.2, 0.8, 24))  # across 60 % of the frame in 6 s
    rf = plan_reframe(1920, 1080, 1080, 1920, "crop", _moving(xs))
    assert rf.mode == "crop" and rf.path
    t = np.array([p[0] for p in rf.path])
    centre = (np.array([p[1] for p in rf.path]) + rf.rect[2] / 2) / 1920
    assert np.all(np.diff(centre) >= -1e-9)  # only ever towards the action
    speed = np.abs(np.diff(centre)) / TRACK_STEP
    assert speed.max() <= MAX_PAN + 1e-6  # eased, never a whip
    mid = slice(6, 18)  # away from the ends, where the path holds
    assert np.all(centre[mid] > np.interp(t[mid], t, xs))  # ahead of the action
    assert np.allclose(centre[mid], np.interp(t[mid] + LEAD, t, xs), atol=0.03)
    x0, _, w, _ = rf.rect_at(float(t[12]))
    assert x0 / 1920 < xs[12] < (x0 + w) / 1920  # the action is in the picture


def test_a_jittering_action_gives_a_steady_crop() -> None:
    xs = [0.45 if k % 2 else 0.55 for k in range(24)]
    rf = plan_reframe(1920, 1080, 1080, 1920, "crop", _moving(xs))
    assert rf.mode == "crop" and not rf.path  # holds still
    x, _, w, _ = rf.rect
    assert x / 1920 < 0.45 and (x + w) / 1920 > 0.55


def test_auto_fits_over_blur_when_the_action_is_wider_than_the_crop() -> None:
    narrow = plan_reframe(1920, 1080, 1080, 1920, "auto", _moving([0.2] * 12))
    assert narrow.mode == "crop"
    wide = plan_reframe(1920, 1080, 1080, 1920, "auto", _moving([0.1] * 12, wide=True))
    assert wide.mode == "blur"
    crop = plan_reframe(1920, 1080, 1080, 1920, "crop", _moving([0.1] * 12, wide=True))
    assert crop.mode == "crop"  # asked for: a crop, whatever it leaves out
    assert plan_reframe(1920, 1080, 1080, 1920, "auto", None).mode == "crop"  # no action


def test_fit_shows_the_whole_frame_on_black() -> None:
    rf = plan_reframe(640, 360, 1080, 1920, "fit")
    out = rf.apply(np.full((360, 640, 3), 200, np.uint8))
    assert out.shape == (1920, 1080, 3)
    assert (out[960, 540] == 200).all() and (out[100, 540] == 0).all()


def test_follow_is_the_older_name_of_crop() -> None:
    a = plan_reframe(1920, 1080, 1080, 1920, "follow", _moving([0.2] * 12))
    assert a == plan_reframe(1920, 1080, 1080, 1920, "crop", _moving([0.2] * 12))


def test_auto_fits_over_blur_when_the_action_reaches_further_than_the_crop() -> None:
    """A falling body: its middle moves most, but all of it moves, wider than the crop."""
    body = _moving([0.45] * 12, width=0.03)
    cols = (np.arange(16) + 0.5) / 16
    wide = Action(body.times, body.maps + 0.3 * ((cols > 0.2) & (cols < 0.75)), body.event)
    assert plan_reframe(1920, 1080, 1080, 1920, "auto", body).mode == "crop"
    assert plan_reframe(1920, 1080, 1080, 1920, "auto", wide).mode == "blur"
    # A thing sliding across is narrow at every moment, however far it goes: followed.
    sliding = _moving(list(np.linspace(0.15, 0.85, 16)), width=0.03)
    assert plan_reframe(1920, 1080, 1080, 1920, "auto", sliding).mode == "crop"
