"""Before/after stills: each half is the source's frame at the peak / in the recovery."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from clipkit.analysis.signals import Signals
from clipkit.clips.plan import ClipPlan
from clipkit.errors import RenderError
from clipkit.posts import stills
from clipkit.posts.stills import (
    before_after,
    halves,
    read_frame,
    sharpest_time,
    still_path,
    write_still,
)
from tests.conftest import flat_signals

FPS = 25
HUE = "hue=H=2*PI*t/8"  # the colours turn once in 8 s: every time has its own picture


@pytest.fixture(scope="module")
def sources(make_clip: Callable[..., Path]) -> tuple[Path, Path]:
    a = make_clip("kitchen.mp4", duration=8.0, size="320x180", fps=FPS, audio=False,
                  extra=("-vf", HUE))  # fmt: skip
    b = make_clip("plated.mp4", duration=4.0, size="320x180", fps=FPS, audio=False,
                  extra=("-vf", f"negate,{HUE}"))  # fmt: skip
    return a, b


def frames_of(path: Path) -> list[np.ndarray]:
    """Every frame, read by OpenCV from the start (not by the code under test)."""
    cap, out = cv2.VideoCapture(str(path)), []
    while (got := cap.read())[0]:
        out.append(cv2.cvtColor(got[1], cv2.COLOR_BGR2RGB))
    cap.release()
    return out


def centre_fill(frame: np.ndarray, w: int, h: int) -> np.ndarray:
    fh, fw = frame.shape[:2]
    if fw / fh > w / h:
        cw = int(fh * w / h)
        frame = frame[:, (fw - cw) // 2 : (fw - cw) // 2 + cw]
    else:
        ch = int(fw * h / w)
        frame = frame[(fh - ch) // 2 : (fh - ch) // 2 + ch]
    return cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)


def difference(still: np.ndarray, box: tuple[int, int, int, int], frame: np.ndarray) -> float:
    """Mean difference (levels of 255) of the half in ``box`` and ``frame`` filled into
    it, at an eighth of the size and below the label (its top fifth is left out)."""
    x, y, w, h = box
    half = still[y : y + h, x : x + w].astype(float)
    want = centre_fill(frame, w, h).astype(float)
    small = (max(1, w // 8), max(1, h // 8))
    a, b = (cv2.resize(i, small, interpolation=cv2.INTER_AREA) for i in (half, want))
    return float(np.abs(a - b)[small[1] // 5 :].mean())


def plan_of(a: Path, **kw: object) -> ClipPlan:
    base = ClipPlan(source=str(a), index=1, start=1.0, end=4.0, peak=2.345, score=0.9,
                    caption="", recovery_caption="", output="kitchen_01_reels.mp4",
                    preset="reels", recovery_source=str(a), recovery_start=5.0,
                    recovery_end=7.0)  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def sharp_at(t_sharp: float) -> Signals:
    t = np.arange(0, 8, 0.04)
    return flat_signals(t, sharpness=np.exp(-(((t - t_sharp) / 0.1) ** 2)))


def check_halves(path: Path, size: tuple[int, int], frames: list[list[np.ndarray]],
                 at: list[int]) -> list[float]:  # fmt: skip
    """Each half matches its frame: better by half than the frames next to it (or 0.4 s
    away). Measured: 1.0-1.2 levels off its frame, 6-9 off the next ones, 32-47 off
    those 0.4 s away."""
    still = np.asarray(Image.open(path).convert("RGB"))
    assert still.shape == (size[1], size[0], 3)
    errors = []
    for box, source, n in zip(halves(size), frames, at, strict=True):
        right = difference(still, box, source[n])
        others = [
            difference(still, box, source[m])
            for m in (n - 10, n - 1, n + 1, n + 10)
            if 0 <= m < len(source)
        ]
        assert right < 3 and all(right < o / 2 for o in others), (right, others)
        errors.append(right)
    return errors


@pytest.mark.parametrize("size", [(270, 480), (480, 270)])
def test_halves_are_the_peak_and_the_sharpest_recovery_frame(
    sources: tuple[Path, Path], tmp_path: Path, size: tuple[int, int]
) -> None:
    a, _ = sources
    frames = frames_of(a)
    path = write_still(plan_of(a), size, tmp_path / "s.jpg", signals=sharp_at(6.12))
    # peak 2.345 s is frame 58 (shown 2.32-2.36 s); the sharpest, 6.12 s, frame 153
    check_halves(path, size, [frames, frames], [58, 153])
    assert [p.name for p in tmp_path.iterdir()] == ["s.jpg"]  # no part left behind


def test_stacked_for_portrait_side_by_side_otherwise() -> None:
    assert halves((1080, 1920)) == [(0, 0, 1080, 960), (0, 960, 1080, 960)]
    assert halves((1920, 1080)) == [(0, 0, 960, 1080), (960, 0, 960, 1080)]
    assert halves((1080, 1080)) == [(0, 0, 540, 1080), (540, 0, 540, 1080)]


def test_recovery_from_another_file(sources: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = sources
    plan = plan_of(a, recovery_source=str(b), recovery_start=1.0, recovery_end=3.0)
    # Without the other file's analysis (the mishap's file's says nothing of it): the
    # middle of its window (2.0 s, frame 50)...
    path = write_still(plan, (270, 480), tmp_path / "s.jpg", signals=sharp_at(2.4))
    check_halves(path, (270, 480), [frames_of(a), frames_of(b)], [58, 50])
    # ...with it, its sharpest frame (2.4 s, frame 60).
    path = write_still(plan, (270, 480), tmp_path / "s.jpg", signals=sharp_at(6.12),
                       recovery_signals=sharp_at(2.4))  # fmt: skip
    check_halves(path, (270, 480), [frames_of(a), frames_of(b)], [58, 60])


def test_after_times_without_signals_still_and_no_recovery(sources: tuple[Path, Path]) -> None:
    a, _ = sources
    assert sharpest_time(plan_of(a)) == 6.0
    assert sharpest_time(plan_of(a, recovery_still=True)) == 5.0
    none = plan_of(a, recovery_source=None, recovery_start=None, recovery_end=None)
    assert sharpest_time(none) == pytest.approx(3.95)


def test_exactly_two_frames_are_read(
    sources: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = sources
    asked: list[tuple[str, float]] = []

    def reader(path: str, t: float) -> np.ndarray:
        asked.append((path, t))
        return np.zeros((90, 160, 3), np.uint8)

    monkeypatch.setattr(stills, "read_frame", reader)
    write_still(plan_of(a), (90, 160), tmp_path / "s.jpg", signals=sharp_at(6.12))
    assert asked == [(str(a), 2.345), (str(a), pytest.approx(6.12))]


def test_labels_are_drawn_from_the_parameter() -> None:
    grey = np.full((90, 160, 3), 128, np.uint8)
    plain = before_after(grey, grey, (160, 180), labels=("", ""))
    assert (plain == 128).all()
    drawn = before_after(grey, grey, (160, 180), labels=("Vorher", "Nachher"))
    top, bottom = drawn[:90], drawn[90:]
    for half in (top, bottom):
        changed = np.argwhere((half != 128).any(axis=2))
        assert changed.size and changed[:, 0].max() < 30  # in the half's top corner
    assert not np.array_equal(top, bottom)  # two different words


def test_read_frame_past_the_end_says_where(sources: tuple[Path, Path]) -> None:
    a, _ = sources
    with pytest.raises(RenderError, match=r"kitchen.mp4: no picture at 99.00 s"):
        read_frame(str(a), 99.0)


def test_still_path_beside_the_clip() -> None:
    assert still_path("out/day1_01_reels.mp4") == Path("out/day1_01_reels-before-after.jpg")


def test_the_same_recovery_file_however_spelled(
    sources: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = sources
    monkeypatch.chdir(a.parent)
    # The recovery shot's file named relative, the source whole: one file, so the
    # source's analysis chooses its sharpest frame (6.12 s, frame 153).
    plan = plan_of(a, recovery_source=a.name)
    path = write_still(plan, (270, 480), tmp_path / "s.jpg", signals=sharp_at(6.12))
    check_halves(path, (270, 480), [frames_of(a), frames_of(a)], [58, 153])
