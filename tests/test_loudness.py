"""Loudness: the clip's sound reaches the preset's target, within 1 LU, without its
true peaks passing the ceiling, whatever its impacts (the limiter takes them down)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clipkit.clips.presets import load_preset
from clipkit.media.audio import AudioSpan, measure_file
from clipkit.media.ffmpeg import run_ffmpeg
from clipkit.render.loudness import make_audio


def _tone_with_clicks(path: Path, tone: float, click: float, seconds: float = 8.0) -> Path:
    """A 440 Hz tone at amplitude ``tone`` with a 5 ms click of ``click`` each second:
    kitchen sound in miniature (steady work, sharp knocks)."""
    expr = f"{tone}*sin(2*PI*440*t)+if(lt(mod(t\\,1)\\,0.005)\\,{click}\\,0)"
    run_ffmpeg(["-y", "-f", "lavfi", "-i", f"aevalsrc={expr}:s=48000:d={seconds}", str(path)])
    return path


def _impact(path: Path) -> Path:
    """6 s of quiet room noise with one thud at 3 s, a fast-decaying 200 Hz burst at
    full scale: -29 LUFS with a true peak at -0.3 dBTP, its peak 29 dB above its
    loudness (a pan hitting the floor; real clips measured 21-27)."""
    expr = (
        "0.05*(random(0)-0.5)+if(between(t\\,3\\,3.4)\\,"
        "0.99*exp(-40*(t-3))*sin(2*PI*200*(t-3))\\,0)"
    )
    run_ffmpeg(["-y", "-f", "lavfi", "-i", f"aevalsrc={expr}:s=48000:d=6", str(path)])
    return path


def _measure(path: Path) -> tuple[float, float]:
    """Measured independently of clipkit: ffmpeg's ebur128 with true peak."""
    err = run_ffmpeg(
        ["-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"]
    ).stderr.decode()
    loud = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", err)[-1])
    peak = float(re.findall(r"Peak:\s+(-?[\d.]+) dBFS", err)[-1])
    return loud, peak


@pytest.mark.parametrize(
    ("tone", "click", "limited"),
    [
        (0.1, 0.001, False),  # quiet clicks: gain alone reaches the target
        (0.1, 0.3, True),  # the gain fits once the clicks lose a few dB
        (0.01, 0.9, True),  # clicks ~35 dB above the tone: the limiter takes them down
    ],
)
def test_loudness_target_and_true_peak_ceiling(
    tmp_path: Path, tone: float, click: float, limited: bool
) -> None:
    preset = load_preset("reels")
    src = _tone_with_clicks(tmp_path / "in.wav", tone, click)
    out = tmp_path / "out.m4a"
    got = make_audio([AudioSpan(str(src), 0.0, 8.0, True)], 0.0, 8.0, preset, out)
    loud, peak = _measure(out)
    assert abs(loud - preset.loudness) <= 1.0, (loud, peak)
    assert peak <= preset.true_peak, (loud, peak)  # after AAC encoding, not before
    # What the manifest records is what an independent measurement finds.
    assert got.integrated is not None and got.true_peak is not None
    assert abs(got.integrated - loud) < 0.1 and abs(got.true_peak - peak) < 0.1
    assert (got.limiter > 0) == limited, got


def test_loud_impact_reaches_target_through_the_limiter(tmp_path: Path) -> None:
    """One thud far above a quiet room: linear gain to -14 LUFS would put its peak
    ~15 dB over full scale, so a plain gain would clip and a gain held under the
    ceiling would stay far under the target."""
    preset = load_preset("reels")
    src = _impact(tmp_path / "thud.wav")
    before_i, before_tp = _measure(src)
    assert before_tp + (preset.loudness - before_i) > 10  # linear gain would clip
    out = tmp_path / "out.m4a"
    got = make_audio([AudioSpan(str(src), 0.0, 6.0, True)], 0.0, 6.0, preset, out)
    loud, peak = _measure(out)
    assert abs(loud - preset.loudness) <= 1.0, (loud, peak)
    assert peak <= preset.true_peak, (loud, peak)
    assert got.limiter > 10, got  # recorded: the limiter took the thud down
    assert measure_file(out) == (got.integrated, got.true_peak)


def test_silence_stays_silent(tmp_path: Path) -> None:
    preset = load_preset("reels")
    out = tmp_path / "out.m4a"
    got = make_audio([AudioSpan("none", 0.0, 2.0, False)], 0.0, 2.0, preset, out)
    assert got.integrated is None and got.gain == 0.0
    assert out.is_file()
