"""Plans: windows, clamping, de-duplication, short sources, recovery choice, plan files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from clipkit.analysis.signals import Signals
from clipkit.clips.plan import (
    ClipPlan,
    edited_by_hand,
    framed,
    load_plans,
    output_name,
    plan_clips,
    plan_problem,
    save_plans,
    total_length,
)
from clipkit.clips.presets import load_preset
from clipkit.clips.reframe import Crop, Reframe
from clipkit.clips.wording import MISHAP, RECOVERY
from clipkit.detection import Moment
from clipkit.errors import InputError
from clipkit.media.probe import VideoInfo
from tests.conftest import flat_signals

STEP = 0.1  # analysis frame step of the hand-made signals, s


def M(start: float, peak: float, end: float, score: float = 1.0) -> Moment:  # noqa: N802
    return Moment(start, peak, end, score)


def _info(duration: float, path: str = "/footage/pasta.mov") -> VideoInfo:
    return VideoInfo(
        path=path,
        duration=duration,
        fps=30.0,
        width=1920,
        height=1080,
        rotation=0,
        codec="h264",
        pix_fmt="yuv420p",
        has_audio=True,
        audio_rate=48000,
        audio_channels=2,
        variable_fps=False,
        size_bytes=1,
        mtime_ns=0,
    )


def _signals(duration: float, calm: tuple[float, float] | None = None) -> Signals:
    """Busy, soft footage everywhere except a calm, sharp, bright ``calm`` window."""
    t = np.arange(0, duration, STEP)
    rng = np.random.default_rng(0)
    motion = 0.5 + 0.2 * rng.random(t.size)
    sharp = 0.2 + 0.1 * rng.random(t.size)
    bright = np.full(t.size, 0.3)
    if calm:
        inside = (t >= calm[0]) & (t < calm[1])
        motion[inside], sharp[inside], bright[inside] = 0.01, 1.0, 0.5
    camera = np.full(t.size, 0.01)
    return flat_signals(
        t, duration, motion=motion, camera=camera, brightness=bright, sharpness=sharp
    )


@pytest.fixture()
def reels():
    return load_preset("reels")


def test_window_has_lead_in_and_stays_within_limits(reels) -> None:
    plans = plan_clips(_info(60), _signals(60), [M(20, 21, 22)], reels, no_recovery=True)
    (p,) = plans
    assert 1.5 <= 20 - p.start <= 3.0
    assert reels.min_length <= p.end - p.start <= reels.max_length
    assert p.end >= 22 and p.recovery is None and "no-recovery" in p.recovery_note
    assert p.output == "pasta_01_reels.mp4" and p.caption in MISHAP[reels.caption_style]


def test_long_moment_is_capped_and_total_fits_with_recovery(reels) -> None:
    sig = _signals(60, calm=(50, 56))
    (p,) = plan_clips(_info(60), sig, [M(10, 12, 30)], reels)
    assert p.recovery is not None
    assert total_length(p, reels) <= reels.max_length + 1e-6
    assert p.end >= 30 + 1.0  # the payoff (the event's end, settled) wins over lead-in


@pytest.mark.parametrize("length", [0.5, 3.0, 6.0, 7.5, 12.0])
def test_the_window_holds_the_whole_event_or_its_end(reels, length: float) -> None:
    """At least 1.5 s before the event and 1 s after it when the maximum allows; when it
    cannot hold both, the end of the event and 1 s after it are kept, lead-in is cut."""
    (p,) = plan_clips(_info(60), _signals(60), [M(20, 20.2, 20 + length)], reels,
                      no_recovery=True)  # fmt: skip
    assert p.end - p.start <= reels.max_length + 1e-6
    assert p.end >= 20 + length + 1.0
    if length + 1.5 + 1.0 <= reels.max_length:
        assert p.start <= 20 - 1.5
    else:
        assert p.end - p.start == pytest.approx(reels.max_length)


@pytest.mark.parametrize(
    ("moment", "edge"), [(M(0.2, 0.5, 1.0), "start"), (M(58.5, 59.5, 59.9), "end")]
)
def test_moments_at_file_edges_are_clamped(reels, moment: Moment, edge: str) -> None:
    (p,) = plan_clips(_info(60), _signals(60), [moment], reels, no_recovery=True)
    assert 0 <= p.start < p.end <= 60
    assert p.end - p.start >= reels.min_length
    assert (p.start == 0) if edge == "start" else (p.end == 60)


def test_close_moments_do_not_duplicate(reels) -> None:
    moments = [M(20, 20.5, 21, 0.5), M(21.5, 22, 22.5, 0.9), M(40, 41, 42, 0.7)]
    plans = plan_clips(_info(60), _signals(60), moments, reels, no_recovery=True)
    assert len(plans) == 2
    assert [p.index for p in plans] == [1, 2] and plans[0].start < plans[1].start
    assert plans[0].peak == 22  # the stronger of the two close moments wins


def test_short_source_gives_whole_file_with_note(reels) -> None:
    (p,) = plan_clips(_info(3.2), _signals(3.2), [M(1, 1.5, 2), M(2, 2.5, 3)], reels)
    assert (p.start, p.end) == (0, 3.2)
    assert "shorter than the minimum" in p.note
    assert p.recovery_still and p.recovery is not None and p.recovery[0] >= 2.0 + 0.3
    assert plan_clips(_info(3.2), _signals(3.2), [], reels) == []


def test_recovery_is_calm_region_after_mishap_preferring_end(reels) -> None:
    sig = _signals(90, calm=(80, 85))
    # A second, equally calm stretch earlier: the later one wins.
    early = (sig.t >= 40) & (sig.t < 45)
    sig.motion[early], sig.sharpness[early], sig.brightness[early] = 0.01, 1.0, 0.5
    (p,) = plan_clips(_info(90), sig, [M(20, 21, 22)], reels)
    assert p.recovery_source == p.source and p.recovery is not None
    assert p.recovery[0] >= 80 and p.recovery[1] <= 85 + STEP
    assert p.recovery[1] - p.recovery[0] == pytest.approx(reels.recovery_length)
    assert p.recovery_caption in RECOVERY[reels.caption_style]


def test_no_suitable_recovery_gives_reason(reels) -> None:
    sig = _signals(60)
    sig.brightness[:] = 0.01  # black everywhere
    (p,) = plan_clips(_info(60), sig, [M(20, 21, 22)], reels)
    assert p.recovery is None and "never clear" in p.recovery_note and "dark" in p.recovery_note
    (p,) = plan_clips(_info(30), _signals(30, calm=(26, 30)), [M(25, 27, 29.95)], reels)
    assert p.recovery is None and "ends with the mishap" in p.recovery_note


def test_a_short_calm_stretch_is_a_shorter_recovery_shot(reels) -> None:
    """Real footage ends soon after the mishap: 3 s after the clip is enough for a
    recovery stretch shorter than the preset's, from the calm, never its last moments."""
    (p,) = plan_clips(_info(28.5), _signals(28.5, calm=(25.5, 28.5)), [M(22, 23, 24)], reels)
    assert p.end == pytest.approx(25.5) and p.recovery is not None and not p.recovery_still
    a, b = p.recovery
    assert 1.0 <= b - a < reels.recovery_length and a >= p.end and b <= 28.5 - 0.5
    assert "no calm" in p.recovery_note


def test_without_a_calm_stretch_the_best_frame_is_held_still(reels) -> None:
    (p,) = plan_clips(_info(27), _signals(27, calm=(25.5, 27)), [M(22, 23, 24)], reels)
    assert p.recovery_still and p.recovery is not None
    a, b = p.recovery
    assert 25.5 <= a <= 27 - 0.75 and b - a == pytest.approx(reels.recovery_length)
    assert "still" in p.recovery_note
    assert plan_problem(p, 27, reels) is None  # a still may be held past the file's end


@pytest.mark.parametrize("spoil", ["coverage", "cut", "whip", "blur"])
def test_a_recovery_shot_never_shows_a_hand_a_cut_or_a_whip_pan(reels, spoil: str) -> None:
    """The calm stretch at 50-56 s is spoilt at 52-53 s: the shot is taken elsewhere."""
    sig = _signals(60, calm=(50, 56))
    bad = (sig.t >= 52) & (sig.t < 53)
    if spoil == "coverage":
        sig.coverage[bad] = 0.8  # a hand over the lens
    elif spoil == "cut":
        sig.cut[bad] = 0.9
    elif spoil == "whip":
        sig = replace(sig, cam_conf=np.where(bad, 0.1, 1.0), shift=np.where(bad, 2.0, 0.0))
    else:
        sig.sharpness[bad] = 0.01  # something right in front of the lens
    (p,) = plan_clips(_info(60), sig, [M(20, 21, 22)], reels)
    assert p.recovery is not None
    a, b = p.recovery
    assert b <= 52 or a >= 53


def test_recovery_file_and_sidecar(reels, tmp_path: Path) -> None:
    info = _info(60, str(tmp_path / "pasta.mov"))
    (p,) = plan_clips(info, _signals(60), [M(20, 21, 22)], reels, recovery_file="done.mp4")
    assert p.recovery_source == "done.mp4" and p.recovery == (0.0, reels.recovery_length)
    (tmp_path / "pasta.recovery.yaml").write_text("file: plated.mp4\nstart: 3\nend: 5\n")
    (p,) = plan_clips(info, _signals(60), [M(20, 21, 22)], reels)
    assert p.recovery_source == str(tmp_path / "plated.mp4") and p.recovery == (3.0, 5.0)
    (tmp_path / "pasta.recovery.yaml").write_text("none: true\n")
    (p,) = plan_clips(info, _signals(60, calm=(50, 55)), [M(20, 21, 22)], reels)
    assert p.recovery is None and "pasta.recovery.yaml" in p.recovery_note


def test_captions_and_names(reels) -> None:
    (p,) = plan_clips(
        _info(60),
        _signals(60, calm=(50, 55)),
        [M(70 / 2, 36, 37)],
        reels,
        caption="{stem} at {time}: oops",
        recovery_caption="Crème brûlée ß",
    )
    assert p.caption == "pasta at 0:36: oops" and p.recovery_caption == "Crème brûlée ß"
    name = output_name("../../{stem}/x", source="a.mov", index=1, peak=0, preset="reels")
    assert name == "x.mp4"


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_plan_file_round_trip(reels, tmp_path: Path, suffix: str) -> None:
    plans = plan_clips(
        _info(90),
        _signals(90, calm=(80, 85)),
        [M(20, 21, 22), M(50, 51, 52, 0.5)],
        reels,
        caption="Ça glisse, ñ ü",
    )
    path = tmp_path / f"plan{suffix}"
    save_plans(path, plans)
    assert load_plans(path) == plans


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_plan_file_knows_when_it_was_edited(reels, tmp_path: Path, suffix: str) -> None:
    import json

    import yaml

    plans = plan_clips(_info(90), _signals(90, calm=(80, 85)), [M(20, 21, 22)], reels)
    path = tmp_path / f"plan{suffix}"
    save_plans(path, plans)
    assert not edited_by_hand(path)
    text = path.read_text()
    doc = yaml.safe_load(text) if suffix == ".yaml" else json.loads(text)
    # Laid out anew (other order and indentation): the same values, not an edit.
    path.write_text(json.dumps(doc, indent=7, sort_keys=True))
    assert not edited_by_hand(path)  # (a .yaml file may hold JSON: YAML reads it)
    doc["clips"][0]["caption"] = "Here it comes"
    path.write_text(json.dumps(doc))
    assert edited_by_hand(path)
    path.write_text("not a plan")
    assert edited_by_hand(path)


def test_bad_plan_files_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("clips:\n  - {source: a.mov, index: 1, start: 5, end: 2}\n")
    with pytest.raises(InputError, match=r"plan.yaml: clip 1: needs 0 <= start < end"):
        load_plans(path)
    path.write_text("clips:\n  - {source: a.mov, index: 1, start: 1, end: 2, capton: x}\n")
    with pytest.raises(InputError, match=r"clip 1: unknown key 'capton'"):
        load_plans(path)
    path.write_text("clips: [\n")
    with pytest.raises(InputError, match=r"plan.yaml: line 2: not a valid plan file"):
        load_plans(path)
    path.write_text("clips:\n- source: a.mov\n  caption: Oops: it fell\n")
    with pytest.raises(
        InputError, match=r"plan.yaml: line 3: .*put text that holds ': ' in quotes"
    ):
        load_plans(path)
    js = tmp_path / "plan.json"
    js.write_text('{"clips": [\n  {"source": "a.mov",}\n]}')
    with pytest.raises(InputError, match=r"plan.json: line 2: not a valid plan file"):
        load_plans(js)
    minimal = {"source": "a.mov", "index": 1, "start": 1, "end": 7}
    p = ClipPlan.from_dict(minimal)
    assert p.recovery is None and replace(p, caption="x").caption == "x"


def test_edited_plans_are_checked_against_the_source_and_the_preset(reels) -> None:
    [plan] = plan_clips(_info(60), _signals(60, calm=(50, 55)), [M(20, 21, 22)], reels)
    assert plan.recovery is not None and plan_problem(plan, 60.0, reels) is None
    # A person's edits that cannot be honoured: each says which clip and why.
    cases = {
        "ends after the end of the source (60 s)": replace(plan, end=99.0),
        "starts after the end of the source (60 s)": replace(plan, start=70.0, end=75.0),
        "recovery shot (50-70 s) is not within the source": replace(
            plan, recovery_start=50.0, recovery_end=70.0
        ),
        "s long, over the max_length of preset reels (10 s": replace(
            plan, start=12.0, end=30.0, recovery_start=50.0, recovery_end=57.0
        ),
    }
    for expected, edited in cases.items():
        problem = plan_problem(edited, 60.0, reels)
        assert problem is not None and expected in problem, problem
        assert problem.startswith(f"clip 1 ({edited.start:g}-{edited.end:g} s)")
    # Up to a frame past the probed end is the same end, not a problem.
    assert (
        plan_problem(replace(plan, end=60.05, start=55.0, recovery_source=None), 60.0, reels)
        is None
    )
    # A recovery shot from another file is not measured against this one.
    other = replace(
        plan, recovery_source="/footage/dish.mov", recovery_start=70.0, recovery_end=73.0
    )
    assert plan_problem(other, 60.0, reels) is None


@pytest.mark.parametrize("bad", ["../../footage/src.mp4", "/tmp/x.mp4", ".hidden.mp4", "a/b.mp4"])
def test_plan_file_output_must_be_a_plain_name(tmp_path: Path, bad: str) -> None:
    f = tmp_path / "plan.yaml"
    f.write_text(f"clips:\n- {{source: a.mp4, index: 1, start: 1, end: 6, output: '{bad}'}}\n")
    with pytest.raises(InputError, match="plain file name"):
        load_plans(f)


def test_plan_file_into_a_new_folder(tmp_path: Path) -> None:
    plans = plan_clips(_info(60), _signals(60), [M(20, 21, 22)], load_preset("reels"))
    target = tmp_path / "plans" / "day1" / "a.yaml"
    save_plans(target, plans)
    assert load_plans(target) == plans


def test_plan_paths_are_relative_to_the_plan_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    plans = plan_clips(
        _info(60, path="footage/a.mp4"), _signals(60), [M(20, 21, 22)], load_preset("reels")
    )
    save_plans(tmp_path / "plans" / "a.yaml", plans)
    assert "source: ../footage/a.mp4" in (tmp_path / "plans" / "a.yaml").read_text()
    monkeypatch.chdir("/")  # render may run from anywhere
    (loaded,) = load_plans(tmp_path / "plans" / "a.yaml")
    assert loaded.source == str(tmp_path / "footage" / "a.mp4")


def _moving() -> Reframe:
    """A crop that holds at x=410 from 2 to 2.5 s, then moves left to 380 by 3 s."""
    keys = ((2.0, 410.0, 0.0), (2.25, 410.0, 0.0), (2.5, 410.0, 0.0), (2.75, 395.0, 0.0),
            (3.0, 380.0, 0.0))  # fmt: skip
    return Reframe(1080, 1920, "crop", (410, 0, 608, 1080), keys)


def test_the_plan_keeps_its_crop_short_and_readable(reels, tmp_path: Path) -> None:
    """The crop is planned from the analysis and written as one line a keyframe: time,
    x, y in the source's pixels (keyframes where it holds still left out)."""
    (plan,) = plan_clips(_info(90), _signals(90, calm=(80, 85)), [M(20, 21, 22)], reels)
    assert plan.crop is not None and plan.crop.mode in ("crop", "blur")
    crop = Crop.of(_moving(), 2.0)
    assert crop.path == ((2.0, 410, 0), (2.5, 410, 0), (2.75, 395, 0), (3.0, 380, 0))
    path = tmp_path / "plan.yaml"
    save_plans(path, [replace(plan, crop=crop)])
    text = path.read_text()
    want = "  crop:\n    mode: crop\n    size: [608, 1080]\n    path:\n    - [2.0, 410, 0]\n"
    assert want in text
    (back,) = load_plans(path)
    assert back.crop == crop
    # The same reframing as the one it was made from, at every time.
    for t in np.arange(1.9, 3.2, 0.01):
        assert crop.reframe(1080, 1920).rect_at(t) == _moving().rect_at(t)


def test_a_plan_without_a_crop_gets_the_one_planned(reels) -> None:
    """Plans written before the crop was kept: it is worked out from the analysis as it
    was planned (and a crop for another frame's shape is worked out anew)."""
    info, signals = _info(90), _signals(90, calm=(80, 85))
    (plan,) = plan_clips(info, signals, [M(20, 21, 22)], reels)
    old = {k: v for k, v in plan.to_dict().items() if k != "crop"}
    read = ClipPlan.from_dict(old)
    assert read.crop is None
    assert framed(read, info, signals, reels) == plan
    other = replace(plan, crop=Crop("crop", (100, 100), ((20.0, 0, 0),)))
    assert framed(other, info, signals, reels) == plan
    edited = replace(plan, crop=Crop("crop", (608, 1080), ((20.0, 0, 0),)))
    assert framed(edited, info, signals, reels) == edited  # a person's crop is kept


@pytest.mark.parametrize(
    ("crop", "says"),
    [
        ("{mode: zoom}", "mode must be one of crop, blur, fit, not 'zoom'"),
        ("{mode: crop, size: [608], path: [[1, 2, 0]]}", r"size must be \[width, height\]"),
        ("{mode: crop, size: [608, 1080], path: []}", "path must be a list of"),
        ("{mode: crop, size: [608, 1080], path: [[2, 0, 0], [1, 5, 0]]}", "path: the times"),
        ("{mode: crop, size: [608, 1080], path: [[1, -5, 0]]}", "path must be a list of"),
        ("[1, 2]", "must be a mapping"),
    ],
)
def test_a_bad_crop_in_a_plan_file_is_named(tmp_path: Path, crop: str, says: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(f"clips:\n  - {{source: a.mov, index: 1, start: 1, end: 2, crop: {crop}}}\n")
    with pytest.raises(InputError, match=rf"plan.yaml: clip 1: 'crop' {says}"):
        load_plans(path)
