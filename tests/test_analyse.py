"""The analysis pass on tiny clips generated here with ffmpeg's lavfi sources."""

from __future__ import annotations

import itertools
import subprocess
import time
from collections.abc import Generator, Iterator
from pathlib import Path

import numpy as np
import pytest

from clipkit.analysis import analyse as analyse_mod
from clipkit.analysis.analyse import analyse, default_cache_dir
from clipkit.analysis.signals import Signals
from clipkit.errors import InputError
from clipkit.media.ffmpeg import ffmpeg_exe
from clipkit.media.probe import probe


def ff(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    out = {k: d / f"{k}.mp4" for k in ("plain", "silent", "vfr", "rotated")}
    src = "testsrc2=size=160x120:rate=25"
    ff("-f", "lavfi", "-i", src, "-f", "lavfi", "-i", "sine=frequency=300:sample_rate=8000",
       "-t", "3", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest",
       str(out["plain"]))  # fmt: skip
    ff("-f", "lavfi", "-i", src, "-t", "2.5", "-c:v", "libx264", "-preset", "ultrafast",
       str(out["silent"]))  # fmt: skip
    # Variable frame rate: 25 fps, then every other frame dropped after 1.5 s (12.5 fps).
    ff("-f", "lavfi", "-i", src, "-t", "3",
       "-vf", "select='lt(t,1.5)+not(mod(n,2))'", "-fps_mode", "vfr",
       "-c:v", "libx264", "-preset", "ultrafast", str(out["vfr"]))  # fmt: skip
    # Coded 160x120 with a 90 degree display rotation: displayed 120x160.
    ff("-display_rotation", "90", "-i", str(out["silent"]), "-c", "copy", str(out["rotated"]))
    return out


def test_times_follow_pts_and_no_audio_is_fine(clips: dict[str, Path]) -> None:
    sig = analyse(probe(clips["silent"]))
    assert not sig.has_audio
    assert sig.t.size == 62 or sig.t.size == 63
    assert np.allclose(np.diff(sig.t), 0.04, atol=1e-3)
    for name in ("motion", "camera", "brightness", "coverage", "cells"):
        assert getattr(sig, name).shape[0] == sig.t.size


def test_audio_series(clips: dict[str, Path]) -> None:
    sig = analyse(probe(clips["plain"]))
    assert sig.has_audio
    assert sig.audio_t.size == sig.audio_rms.size == sig.audio_onset.size
    assert abs(sig.audio_t[-1] - 3.0) < 0.1
    # lavfi sine: 1/8 of full scale, about -21 dBFS
    assert -30 < float(np.median(sig.audio_rms)) < 0


def test_variable_frame_rate_reports_true_times(clips: dict[str, Path]) -> None:
    sig = analyse(probe(clips["vfr"]))
    dt = np.diff(sig.t)
    assert np.allclose(dt[sig.t[1:] < 1.45], 0.04, atol=1e-3)
    assert np.allclose(dt[sig.t[:-1] > 1.6], 0.08, atol=1e-3)
    assert abs(sig.t[-1] - 2.92) < 0.05


def test_rotation_is_honoured(clips: dict[str, Path]) -> None:
    info = probe(clips["rotated"])
    assert (info.width, info.height) == (120, 160)
    sig = analyse(info)
    assert (sig.meta["width"], sig.meta["height"]) == (120, 160)


@pytest.mark.parametrize("kind", ["empty", "text", "truncated"])
def test_bad_input_raises_input_error_naming_the_file(
    kind: str, clips: dict[str, Path], tmp_path: Path
) -> None:
    p = tmp_path / f"{kind}.mp4"
    if kind == "empty":
        p.write_bytes(b"")
    elif kind == "text":
        p.write_text("not a video\n" * 100)
    else:
        data = clips["plain"].read_bytes()
        p.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=str(p.name)):
        analyse(probe(p))


def test_truncated_stream_detected_by_analyse(clips: dict[str, Path], tmp_path: Path) -> None:
    # A file whose index promises more than its data holds (faststart, cut short).
    fast = tmp_path / "fast.mp4"
    ff("-i", str(clips["silent"]), "-c", "copy", "-movflags", "+faststart", str(fast))
    info = probe(fast)
    data = fast.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match="cut.mp4"):
        analyse(info.__class__(**{**info.to_dict(), "path": str(cut)}))  # type: ignore[arg-type]


def test_cache_hit_avoids_decoding(
    clips: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = probe(clips["plain"])
    first = analyse(info, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 1

    def boom(*a: object, **k: object) -> None:
        raise AssertionError("decoded again")

    monkeypatch.setattr(analyse_mod, "_decode", boom)
    again = analyse(info, cache_dir=tmp_path)
    assert np.array_equal(first.t, again.t)
    assert np.array_equal(first.cells, again.cells)


@pytest.fixture(scope="module")
def gops(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 s with B-frames and a key frame every second, and audio."""
    out = tmp_path_factory.mktemp("gops") / "gops.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-f", "lavfi", "-i",
       "sine=frequency=300:sample_rate=8000", "-t", "6", "-c:v", "libx264",
       "-preset", "veryfast", "-g", "25", "-c:a", "aac", "-shortest", str(out))  # fmt: skip
    return out


class Spy(analyse_mod.FrameReader):
    """A FrameReader that counts the frames it hands out, per seek point."""

    given: dict[float | None, int] = {}
    split: float | None = None

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        for item in super().__iter__():
            Spy.given[self.start] = Spy.given.get(self.start, 0) + 1
            yield item


class WaitsForTail(Spy):
    """A Spy whose head waits near the split point (10 s at most in all) until the tail
    has handed out two frames (its first taken in): on a loaded machine the head can
    otherwise decode a small file to its end before the tail has begun, and rightly read
    on alone, which is not what the test is about."""

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        until = time.monotonic() + 10.0
        for item in super().__iter__():
            if self.start is None and Spy.split is not None and item[0] >= Spy.split - 1.0:
                while Spy.given.get(Spy.split, 0) < 2 and time.monotonic() < until:
                    time.sleep(0.005)
            yield item


def split_at(monkeypatch: pytest.MonkeyPatch, at: float | None, reader: type = Spy) -> None:
    Spy.given, Spy.split = {}, at
    monkeypatch.setattr(analyse_mod, "FrameReader", reader)
    monkeypatch.setattr(analyse_mod, "split_point", lambda info, plan: at)


def one_pass_and_split(
    path: Path, monkeypatch: pytest.MonkeyPatch, at: float, reader: type = Spy
) -> tuple[Signals, Signals]:
    """The analysis of ``path`` in one pass, and split at ``at`` with ``reader``."""
    info = probe(path)
    split_at(monkeypatch, None)
    whole = analyse(info)
    split_at(monkeypatch, at, reader)
    return whole, analyse(info)


@pytest.mark.parametrize(("name", "at"), [("gops", 2.5), ("gops", 3.0), ("vfr", 1.7)])
def test_two_halves_decoded_side_by_side_give_the_one_pass_result(
    name: str, at: float, gops: Path, clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = gops if name == "gops" else clips[name]
    whole, halves = one_pass_and_split(path, monkeypatch, at, WaitsForTail)
    if name == "gops":
        # Both halves decoded part of the file: the head stopped where the tail began
        # (at the key frame before the split point), one frame shared.
        assert Spy.given[None] + Spy.given[at] == whole.t.size + 1
        assert Spy.given[None] < whole.t.size and Spy.given[at] < whole.t.size
    else:
        # Its only key frame is the first: the tail started there and read it all.
        assert Spy.given[at] == whole.t.size
    assert halves.t.size == whole.t.size
    assert np.allclose(halves.t, whole.t, rtol=0, atol=1e-5)
    for name in analyse_mod.ROW_FIELDS:
        a, b = getattr(whole, name), getattr(halves, name)
        assert np.allclose(a, b, rtol=1e-4, atol=1e-6, equal_nan=True), name
    assert np.array_equal(whole.cells, halves.cells)
    assert np.array_equal(whole.audio_rms, halves.audio_rms)


class NoTail(Spy):
    """A seek that gives nothing (a stream that cannot seek, an ffmpeg that fails)."""

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        return iter(()) if self.start is not None else super().__iter__()


def test_a_tail_that_gives_nothing_leaves_the_whole_file_to_the_head(
    gops: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, alone = one_pass_and_split(gops, monkeypatch, 3.0, NoTail)
    assert Spy.given == {None: whole.t.size}
    assert np.array_equal(alone.t, whole.t)
    assert np.array_equal(alone.cells, whole.cells)


class LateTail(Spy):
    """A tail whose times come out late: by 12 ms, as ffmpeg gives them after a seek in
    an MPEG-TS file; by a few tens of microseconds in some MP4 files."""

    late = 0.0

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        late = LateTail.late if self.start is not None else 0.0
        return ((t + late, frame) for t, frame in super().__iter__())


@pytest.mark.parametrize(("late", "joined"), [(0.012, False), (0.0005, True)])
def test_halves_are_joined_only_where_their_times_meet(
    late: float, joined: bool, gops: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LateTail, "late", late)
    whole, result = one_pass_and_split(gops, monkeypatch, 3.0, LateTail)
    # Joined, the head stopped at the tail's first frame; else it read on to the end.
    assert (Spy.given[None] < whole.t.size) == joined
    # Either way the times are the head's: one pass's.
    assert np.allclose(result.t, whole.t, rtol=0, atol=1e-6)
    assert np.array_equal(result.cells, whole.cells)


class ShortHead(Spy):
    """A head whose decoder gives up after ten frames (data it cannot read)."""

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        frames = super().__iter__()
        return frames if self.start is not None else itertools.islice(frames, 10)


def test_a_head_that_stops_short_of_the_tail_is_reported_like_a_truncated_file(
    gops: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    split_at(monkeypatch, 3.0, ShortHead)
    with pytest.raises(InputError, match=r"gops.mp4: truncated or corrupt: decoded 0.4 s"):
        analyse(probe(gops))


def test_no_split_when_asked_not_to(gops: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    split_at(monkeypatch, 3.0)
    sig = analyse(probe(gops), split=False)
    assert Spy.given == {None: sig.t.size}


def test_a_pool_worker_analyses_without_splitting(
    gops: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Other workers keep the cores busy: a second decode per file gains nothing there.
    from clipkit.run import batch, executor

    asked: list[bool] = []
    real = analyse_mod.analyse

    def spy(*a: object, split: bool = True, **k: object) -> Signals:
        asked.append(split)
        return real(*a, split=split, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(analyse_mod, "analyse", spy)
    batch.analyse_source(batch.SourceJob(str(gops), plan=False, timeline=False), lambda e: None)
    monkeypatch.setattr(executor, "_worker_queue", object())
    batch.analyse_source(batch.SourceJob(str(gops), plan=False, timeline=False), lambda e: None)
    assert asked == [True, False]


def test_leaving_a_frame_reader_early_stops_ffmpeg(gops: Path) -> None:
    info = probe(gops)
    reader = analyse_mod.FrameReader(info, analyse_mod.plan_decode(info))
    frames = iter(reader)
    assert isinstance(frames, Generator)  # a generator: leaving the loop closes it
    next(frames)
    frames.close()  # what a ``break`` out of the loop does
    assert reader.returncode is not None  # ffmpeg was stopped and reaped, not left running


def test_default_cache_dir_is_read_at_call_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLIPKIT_CACHE_DIR", str(tmp_path / "a"))
    assert default_cache_dir() == tmp_path / "a"
    monkeypatch.delenv("CLIPKIT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x" / "clipkit"
