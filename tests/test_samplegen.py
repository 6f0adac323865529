"""The sample generator: deterministic, and its labels match what it drew."""

from __future__ import annotations

import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from clipkit.errors import ClipkitError
from clipkit.media.ffmpeg import ffmpeg_exe
from clipkit.media.probe import probe
from tools import samplegen as sg

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

TINY = sg.SceneSpec(
    name="tiny.mp4",
    duration=2.0,
    seed=5,
    shots=(sg.Shot(0.0, 1.2, "chop", "wood"), sg.Shot(1.2, 2.0, "dish", "marble")),
    happenings=(sg.Happening("drop", 0.3),),
    handheld=True,
    hand_in=0.3,
    hand_out=0.3,
)
TINY_PHONE = sg.SceneSpec(
    name="tiny_phone.mp4",
    duration=2.0,
    seed=6,
    shots=(sg.Shot(0.0, 1.2, "stir", "stone"), sg.Shot(1.2, 2.0, "dish", "marble")),
    happenings=(sg.Happening("spill", 0.3, x=0.3, y=0.86),),
    width=90,
    height=160,
    rotate=True,
    vfr=True,
    hand_in=0.3,
    hand_out=0.3,
)


def _decode_gray(path: Path, width: int, height: int) -> np.ndarray:
    """Every frame (as displayed, VFR frames kept as they are), grey, small."""
    cmd = [ffmpeg_exe(), "-v", "error", "-i", str(path), "-fps_mode", "passthrough"]
    cmd += ["-vf", f"scale={width}:{height}", "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    raw = subprocess.run(cmd, capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width).astype(np.float32)


def _pts(path: Path) -> list[float]:
    cmd = [ffmpeg_exe(), "-hide_banner", "-i", str(path), "-fps_mode", "passthrough"]
    cmd += ["-vf", "showinfo", "-f", "null", "-"]
    err = subprocess.run(cmd, capture_output=True).stderr.decode()
    return [float(x) for x in re.findall(r"pts_time:([\d.]+)", err)]


@pytest.mark.parametrize("spec", [TINY, TINY_PHONE], ids=lambda s: s.name)
def test_same_spec_gives_same_bytes(spec: sg.SceneSpec, tmp_path: Path) -> None:
    a = sg.render_scene(spec, tmp_path / "a.mp4", fps=10)
    b = sg.render_scene(spec, tmp_path / "b.mp4", fps=10)
    assert a.read_bytes() == b.read_bytes()
    assert sg.labels(spec) == sg.labels(spec)
    info = probe(a)
    assert info.has_audio
    assert (info.width, info.height) == (spec.width, spec.height)


def test_x264_options_pass_through(tmp_path: Path) -> None:
    path = sg.render_scene(TINY, tmp_path / "nob.mp4", 160, 90, 10, x264_params="bframes=0")
    cmd = [ffmpeg_exe(), "-hide_banner", "-i", str(path), "-vf", "showinfo", "-f", "null", "-"]
    types = re.findall(r"type:([IPB])", subprocess.run(cmd, capture_output=True).stderr.decode())
    assert types and "B" not in types


def test_frames_depend_on_the_seed() -> None:
    def frame(seed: int) -> np.ndarray:
        spec = sg.SceneSpec(**{**TINY.__dict__, "seed": seed})
        return sg.Painter(spec, 160, 90, 10).frame(0.5)

    assert np.array_equal(frame(1), frame(1))
    assert not np.array_equal(frame(1), frame(2))


def test_vfr_timestamps_are_the_drawn_times(tmp_path: Path) -> None:
    path = sg.render_scene(TINY_PHONE, tmp_path / "phone.mp4", fps=10)
    pts = _pts(path)
    want = sg.frame_times(TINY_PHONE, 10)
    assert len(pts) == len(want)
    assert np.allclose(pts, want, atol=2e-5)
    steps = np.diff(pts)
    assert steps.max() - steps.min() > 0.01  # really variable, not 10 fps


def test_committed_labels_are_the_generators() -> None:
    text = (SAMPLES / "labels.yaml").read_text()
    assert text == sg.labels_yaml(), "samples/labels.yaml is stale: run `make samples`"
    loaded = yaml.safe_load(text)
    assert loaded == {spec.name: sg.labels(spec) for spec in sg.SCENES}


def test_scene_set_covers_the_brief() -> None:
    kinds = [{h.kind for h in s.happenings} for s in sg.SCENES]
    assert {"drop", "spill"} <= kinds[0]
    assert any(
        s.handheld and "pan" in k and k & set(sg.MISHAPS)
        for s, k in zip(sg.SCENES, kinds, strict=True)
    )
    assert any(not k & set(sg.MISHAPS) for k in kinds)
    assert any(s.height > s.width and s.vfr and s.rotate for s in sg.SCENES)


def test_committed_samples_are_small() -> None:
    total = sum(p.stat().st_size for p in SAMPLES.glob("*.mp4"))
    assert total <= 10 * 1024 * 1024


@pytest.mark.parametrize("spec", sg.SCENES, ids=lambda s: s.name)
def test_committed_sample_probes(spec: sg.SceneSpec) -> None:
    info = probe(SAMPLES / spec.name)
    assert 20 <= info.duration <= 60
    assert abs(info.duration - spec.duration) < 0.2
    assert info.has_audio
    assert (info.width, info.height) == (spec.width, spec.height)
    assert info.variable_fps == spec.vfr
    if spec.rotate:
        assert info.rotation in (90, 270) and info.width < info.height


def _local_change(a: np.ndarray, b: np.ndarray) -> float:
    """The strongest change in any small patch, once the camera's own shift is taken out."""
    (dx, dy), _ = cv2.phaseCorrelate(a, b)
    m = np.array([[1, 0, -dx], [0, 1, -dy]], np.float32)
    moved = cv2.warpAffine(b, m, (b.shape[1], b.shape[0]))
    h, w = a.shape
    change = np.abs(moved - a)[h // 8 : h - h // 8, w // 8 : w - w // 8]  # borders: shifted in
    return float(cv2.blur(change, (7, 7)).max())


def _motion(spec: sg.SceneSpec) -> tuple[np.ndarray, np.ndarray]:
    """Frame times and each frame's local change from the previous one."""
    w, h = (spec.width // 4, spec.height // 4)
    frames = _decode_gray(SAMPLES / spec.name, w, h)
    times = np.array(sg.frame_times(spec, spec.fps))
    assert len(frames) == len(times)
    diff = [_local_change(a, b) for a, b in zip(frames[:-1], frames[1:], strict=True)]
    return times[1:], np.array(diff)


@pytest.mark.parametrize("spec", sg.SCENES, ids=lambda s: s.name)
def test_labels_match_what_was_drawn(spec: sg.SceneSpec) -> None:
    times, diff = _motion(spec)
    lab = sg.labels(spec)
    r0, r1 = lab["recovery"]
    calm = diff[(times >= r0) & (times <= r1)]
    work = spec.shots[0]
    busy = diff[(times >= work.start + spec.hand_in + 0.5) & (times < work.start + 8)]
    assert calm.max() < 0.2 * np.median(busy), "the dish shot must be calmer than the work"
    for a, b in lab["events"]:
        burst = diff[(times >= a) & (times <= b)]
        assert burst.max() > 10 * calm.max()
        assert burst.max() > 1.5 * np.percentile(busy, 95), "a mishap must stand out of the work"


@pytest.mark.parametrize("spec", sg.SCENES, ids=lambda s: s.name)
def test_each_mishap_is_heard_inside_its_window(spec: sg.SceneSpec) -> None:
    sound = sg.mix_audio(spec)
    step = sg.SAMPLE_RATE // 20  # 50 ms windows
    rms = np.sqrt((sound[: len(sound) // step * step].reshape(-1, step) ** 2).mean(axis=1))
    times = np.arange(len(rms)) * 0.05
    for a, b in sg.labels(spec)["events"]:
        inside = rms[(times >= a) & (times <= b)].max()
        assert inside > 10 * np.median(rms), "an impact should be loud against the room"


def test_two_runs_on_one_target_each_write_their_own_temporary(tmp_path: Path) -> None:
    # Another run's temporary file under the old fixed name is left alone.
    other = tmp_path / ".tiny.mp4.part"
    other.write_bytes(b"another run's half-written file")
    target = tmp_path / "tiny.mp4"
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(sg.render_scene, TINY, target, fps=10) for _ in range(2)]
        assert [r.result() for r in runs] == [target, target]
    assert probe(target).has_audio
    assert other.read_bytes() == b"another run's half-written file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tiny.mp4.part", "tiny.mp4"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # a normal file, not mkstemp's 0600


def test_a_failed_encode_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(ClipkitError, match="ffmpeg failed"):
        sg.render_scene(TINY, tmp_path / "tiny.mp4", fps=10, preset="no-such-preset")
    assert list(tmp_path.iterdir()) == []
