"""The synthetic event generator (tools/eventgen): deterministic from its seed, and its
events are where its labels say, and only there."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from clipkit.media.ffmpeg import ffmpeg_exe
from tools.eventgen import ensure_corpus
from tools.eventgen.backgrounds import Background, find_backgrounds
from tools.eventgen.camera import CameraMove
from tools.eventgen.plan import PAINTERS, ClipPlan, plan_clip
from tools.eventgen.render import render

W, H, FPS, SECONDS = 160, 120, 25, 4.0
IGNORE = [[0.0, 0.6]]
# Event clips per background in the small corpora made here (plus 2 event-free copies).
EVENTS = 3
# Encoding two different pictures leaves differences everywhere, not only where they
# differ (x264's decisions for the whole frame change): measured here as the mean
# absolute difference over 4x4 px blocks, up to ~30 grey levels on this noisy footage.
# An event changes its block by more than that...
SHOWS = 35.0
# ...and outside its window the event clip holds no more motion than its event-free
# copy does, beyond that noise.
STILL = 35.0
# The seed of the clips looked at one by one: each kind of event clearly visible.
SEED = 3


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory, make_clip: Callable[..., Path]) -> Path:
    """A labelled folder: one noisy test-pattern background with sound and an ignore
    window, and a clip with an event (not a background: never opened)."""
    folder = tmp_path_factory.mktemp("eventgen") / "footage"
    folder.mkdir()
    noisy = ("-vf", "noise=alls=8:allf=t+u")
    src = make_clip("eventgen_bg.mp4", duration=SECONDS, size=f"{W}x{H}", fps=FPS, extra=noisy)
    shutil.copy(src, folder / "bg.mp4")
    labels = {"bg.mp4": {"events": [], "ignore": IGNORE},
              "drop.mp4": {"events": [[1.0, 1.5]]}}  # fmt: skip
    (folder / "labels.yaml").write_text(yaml.safe_dump(labels))
    return folder


@pytest.fixture(scope="module")
def background(footage: Path) -> Background:
    (bg,) = find_backgrounds([footage])
    return bg


@pytest.fixture(scope="module")
def corpus(footage: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    return ensure_corpus([footage], log=lambda _: None, out=out, seed=1,
                         events_per_background=EVENTS, workers=1)  # fmt: skip


def grey_frames(path: Path) -> np.ndarray:
    """Every decoded frame of ``path``, grey, as float32 (n, H, W)."""
    cmd = [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    raw = subprocess.run(cmd, capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, H, W).astype(np.float32)


def labels_of(folder: Path) -> dict[str, dict]:
    return yaml.safe_load((folder / "labels.yaml").read_text())


def test_the_same_seed_makes_the_same_corpus_whatever_the_workers(
    footage: Path, corpus: Path, tmp_path: Path
) -> None:
    again = ensure_corpus([footage], log=lambda _: None, out=tmp_path / "again", seed=1,
                          events_per_background=EVENTS, workers=2)  # fmt: skip
    assert (again / "labels.yaml").read_text() == (corpus / "labels.yaml").read_text()
    for name in labels_of(corpus):
        assert np.array_equal(grey_frames(corpus / name), grey_frames(again / name)), name


def test_another_seed_makes_another_corpus(footage: Path, corpus: Path, tmp_path: Path) -> None:
    other = ensure_corpus([footage], log=lambda _: None, out=tmp_path / "other", seed=2,
                          events_per_background=EVENTS, workers=1)  # fmt: skip
    a, b = labels_of(corpus), labels_of(other)
    assert [v["events"] for v in a.values()] != [v["events"] for v in b.values()]
    first = next(iter(a))
    assert not np.array_equal(grey_frames(corpus / first), grey_frames(other / first))


def test_an_unchanged_corpus_is_reused(footage: Path, corpus: Path) -> None:
    said: list[str] = []
    clip = next(corpus.glob("synth_*.mp4"))
    before = clip.stat().st_mtime_ns
    ensure_corpus([footage], log=said.append, out=corpus, seed=1, events_per_background=EVENTS,
                  workers=1)  # fmt: skip
    assert clip.stat().st_mtime_ns == before
    assert said == [f"eventgen: {corpus} is up to date"]


def test_the_command_line_makes_a_corpus(
    footage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tools.eventgen.__main__ import main

    out = tmp_path / "cli"
    assert main([str(footage), "-o", str(out), "--events", "1", "--workers", "1"]) == 0
    assert len(labels_of(out)) == 1 + 2
    assert str(out) in capsys.readouterr().out


def test_labels_name_the_background_and_keep_events_inside_and_clear_of_ignore(
    corpus: Path,
) -> None:
    labels = labels_of(corpus)
    assert len(labels) == EVENTS + 2  # the event clips and two event-free copies
    kinds = [lab["kind"] for lab in labels.values()]
    assert kinds.count("none") == 2 and set(kinds) - {"none"} <= set(PAINTERS)
    for name, lab in labels.items():
        assert lab["background"] == "footage/bg.mp4"
        assert lab["ignore"] == IGNORE  # the background is short: not cut, not shifted
        assert (corpus / name).exists()
        assert len(lab["events"]) == (0 if lab["kind"] == "none" else 1)
        for a, b in lab["events"]:
            assert 0.5 <= a < b <= SECONDS - 0.3 + 0.005  # labels are rounded to 0.01 s
            assert all(b <= i0 or a >= i1 for i0, i1 in lab["ignore"])


def _still(plan: ClipPlan) -> ClipPlan:
    return dataclasses.replace(plan, camera=CameraMove("still"))


def _with_and_without(plan: ClipPlan, tmp_path: Path) -> tuple[np.ndarray, np.ndarray]:
    render(plan, tmp_path / "with.mp4")
    render(plan, tmp_path / "without.mp4", with_event=False)
    return grey_frames(tmp_path / "with.mp4"), grey_frames(tmp_path / "without.mp4")


def _blocks(x: np.ndarray) -> np.ndarray:
    """Per frame, the largest mean over 4x4 px blocks of ``x`` (n, H, W)."""
    return x.reshape(len(x), H // 4, 4, W // 4, 4).mean(axis=(2, 4)).max(axis=(1, 2))


@pytest.mark.parametrize("kind", sorted(PAINTERS))
def test_an_event_shows_in_its_window_and_nothing_moves_outside_it(
    kind: str, background: Background, tmp_path: Path
) -> None:
    plan = _still(plan_clip("x.mp4", background, kind, seed=SEED))
    assert plan.event is not None and plan.window is not None
    assert plan.event.kind == kind
    with_event, without = _with_and_without(plan, tmp_path)
    assert with_event.shape == without.shape
    t = np.arange(len(with_event)) / FPS
    a, b = plan.window
    inside = (t >= a - 1.5 / FPS) & (t <= b + 1.5 / FPS)
    assert _blocks(np.abs(with_event - without))[inside].max() >= SHOWS, "the event does not show"
    # Motion the event clip has that its copy has not (an object in front of moving
    # footage hides motion: that is not counted).
    added = np.abs(np.diff(with_event, axis=0)) - np.abs(np.diff(without, axis=0))
    pairs_inside = inside[1:] | inside[:-1]
    assert _blocks(np.maximum(added, 0))[~pairs_inside].max() <= STILL, "motion outside"
    if not plan.event.before:
        # Nothing there before it starts: the frames are the same up to where x264 looks
        # ahead (10 frames at its "veryfast" preset, 0.4 s here).
        early = t < a - 0.6
        assert np.abs(with_event - without)[early].max() <= 1


def test_a_fall_goes_down(background: Background, tmp_path: Path) -> None:
    plans = (_still(plan_clip("x.mp4", background, "fall", seed=s)) for s in range(100))
    # (One that stays whole and is not painted to barely stand out: it is followed here
    # as what differs from the copy by 30 levels.)
    plan = next(p for p in plans if not getattr(p.event, "breaks", True)
                and not getattr(p.event, "low_contrast", True))  # fmt: skip
    event = plan.event
    assert event is not None
    with_event, without = _with_and_without(plan, tmp_path)
    impact = plan.event_start + event.hits[0].t
    ys = []
    for i in range(len(with_event)):
        if plan.event_start <= i / FPS <= impact:
            # The object: the largest patch that differs from the copy.
            diff = cv2.blur(np.abs(with_event[i] - without[i]), (3, 3)) > 30
            n, labels, stats, centres = cv2.connectedComponentsWithStats(diff.astype(np.uint8))
            if n > 1:
                ys.append(centres[1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])), 1])
    assert len(ys) >= 3
    assert ys[-1] - ys[0] >= 5  # px, down the picture
    assert (np.diff(ys) > -1).all()  # and never back up before it lands


def test_events_are_planned_at_the_sizes_and_places_of_real_mishaps() -> None:
    from tools.eventgen.events import Geometry
    from tools.eventgen.flame import Flame
    from tools.eventgen.foam import Foam
    from tools.eventgen.liquid import Splash
    from tools.eventgen.rigid import Fall, Knock

    geo = Geometry(640, 360, 30.0)
    w, h, u = geo.width, geo.height, geo.unit
    areas = []
    for seed in range(200):
        fall = Fall(np.random.default_rng(seed), geo)
        areas.append(float(fall.shape.mask.sum()) / (w * h))
        assert 0.4 * h <= fall.floor <= 0.97 * h  # it lands in the lower 60 %
        assert fall.floor - (fall.y[0] + fall.shape.below(fall.angle[0])) >= 0.15 * h
        reach = float(np.sqrt((fall.shape.outline**2).sum(axis=1)).max())
        top = fall.y[0] - reach
        assert top >= 0 or not fall.before  # it starts in view, or falls into it from above
        assert fall.x.min() >= reach and fall.x.max() <= w - reach  # and never leaves it
        knock = Knock(np.random.default_rng(seed), geo)
        assert 0.10 * h <= knock.shape.length <= 0.35 * h
        splash = Splash(np.random.default_rng(seed), geo)
        assert 0.08 * u <= 2 * splash.spill.pool.radius <= 0.30 * u
        foam = Foam(np.random.default_rng(seed), geo)
        assert 0.15 * w <= 2 * foam.half <= 0.40 * w
        flame = Flame(np.random.default_rng(seed), geo)
        assert 0.08 * u <= flame.tall <= 0.25 * u
    areas_ = np.array(areas)
    assert areas_.min() >= 0.0019 and areas_.max() <= 0.061
    assert 0.05 <= (areas_ < 0.005).mean() <= 0.3  # a minority of small ones


@pytest.mark.parametrize("grey", [20, 60, 128, 190, 240, "half"])
def test_colours_stand_out_from_the_background_or_barely_when_asked(grey: int | str) -> None:
    from tools.eventgen.events import look
    from tools.eventgen.sprites import pick_colour

    frame = np.zeros((40, 40, 3), np.uint8)
    if grey == "half":  # half white, half dark wood: mid-grey stands out from neither
        frame[:, :20] = 235
        frame[:, 20:] = (30, 50, 80)
    else:
        frame[:] = np.array([0.95, 1.0, 1.05]) * float(grey)  # a warm grey
    scene = look(frame, 20, 20, 20)
    gain = 0.9  # the object's shading and the light there
    for seed in range(20):
        colour = pick_colour(np.random.default_rng(seed), scene, False, gain=gain)
        assert scene.gap(colour * gain) >= 40
        faint = pick_colour(np.random.default_rng(seed), scene, True, gain=gain)
        assert 19 <= scene.gap(faint * gain) <= (36 if grey != "half" else 120)
