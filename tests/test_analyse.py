"""The analysis pass on tiny clips generated here with ffmpeg's lavfi sources."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from clipkit import analyse as analyse_mod
from clipkit.analyse import analyse, default_cache_dir
from clipkit.errors import InputError
from clipkit.ffmpeg import ffmpeg_exe
from clipkit.probe import probe


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


def test_default_cache_dir_is_read_at_call_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLIPKIT_CACHE_DIR", str(tmp_path / "a"))
    assert default_cache_dir() == tmp_path / "a"
    monkeypatch.delenv("CLIPKIT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x" / "clipkit"
