"""Interlaced sources (MPEG-2, MTS): probe says so, and the analysis and render make
whole pictures of their fields before anything else (issue 27)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clipkit.clips.presets import load_preset
from clipkit.media.decode import _video_cmd, plan_decode
from clipkit.media.filters import DEINTERLACE
from clipkit.media.probe import probe
from clipkit.render.clip import Shot
from tests.conftest import ffmpeg
from tests.test_render import _frame_at

# A white bar crossing a black picture, 50 pictures a second woven into 25 interlaced
# frames: its edges comb (each field has it 8 px from the other's); nothing else does.
WOVEN = (
    "color=black:s=320x240:r=50[b];color=white:s=40x240:r=50[w];"
    "[b][w]overlay=x='mod(t*400,280)':y=0:shortest=1"
)


def _interlaced(path: Path, top: bool) -> Path:
    weave = "interleave_top,setfield=tff" if top else "interleave_bottom,setfield=bff"
    ffmpeg("-f", "lavfi", "-i", WOVEN, "-t", "3", "-vf", f"tinterlace={weave}",
           "-c:v", "mpeg2video", "-flags", "+ilme+ildct", "-b:v", "4M", str(path))  # fmt: skip
    return path


@pytest.fixture(scope="module")
def mpg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _interlaced(tmp_path_factory.mktemp("interlaced") / "dv.mpg", top=True)


def _combing(frame: np.ndarray) -> float:
    """How much each line differs from the mean of the lines either side of it (fields
    of another moment woven together differ line by line)."""
    f = frame.astype(float).mean(axis=2) if frame.ndim == 3 else frame.astype(float)
    return float(np.abs(2 * f[1:-1] - f[:-2] - f[2:]).mean())


def test_probe_says_which_field_comes_first(mpg: Path, tmp_path: Path) -> None:
    info = probe(mpg)
    assert info.field_order == "tt" and info.interlaced
    mts = _interlaced(tmp_path / "cam.mts", top=False)
    assert probe(mts).field_order == "bb" and probe(mts).interlaced


def test_progressive_footage_is_left_as_it_is(make_clip) -> None:
    info = probe(make_clip("progressive.mp4", duration=1.0))
    assert not info.interlaced
    assert plan_decode(info).deinterlace == ""


def test_the_analysis_deinterlaces_before_it_scales(mpg: Path) -> None:
    info = probe(mpg)
    cmd = _video_cmd(info.path, plan_decode(info))
    vf = cmd[cmd.index("-vf") + 1]
    assert vf.startswith(DEINTERLACE + ",scale=")


def test_render_reads_whole_pictures(mpg: Path) -> None:
    info = probe(mpg)
    preset = load_preset("x").with_overrides(width=320, height=240, reframe="fit")
    shot = Shot(info, 1.0, 1.5, preset, "")
    try:
        got = shot.frame(0.2)
    finally:
        shot.close()
    assert shot.reader.filters.startswith(DEINTERLACE)
    # The same frame as it is coded, fields woven.
    woven = _frame_at(mpg, 1.2, (320, 240))
    assert _combing(woven) > 2.0  # (a moving bar's edges, woven)
    assert _combing(got) < 0.25 * _combing(woven)
