"""Loudness: the clip's sound reaches the preset's target without its peaks passing the
ceiling, or says why not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clipkit.ffmpeg import run_ffmpeg
from clipkit.loudness import AudioSpan, loudness_shortfall, make_audio
from clipkit.presets import load_preset


def _tone_with_clicks(path: Path, tone: float, click: float) -> Path:
    """8 s of a 440 Hz tone at amplitude ``tone`` with a 5 ms click of ``click`` each
    second: kitchen sound in miniature (steady work, sharp knocks)."""
    expr = f"{tone}*sin(2*PI*440*t)+if(lt(mod(t\\,1)\\,0.005)\\,{click}\\,0)"
    run_ffmpeg(["-y", "-f", "lavfi", "-i", f"aevalsrc={expr}:s=48000:d=8", str(path)])
    return path


def _measure(path: Path) -> tuple[float, float]:
    err = run_ffmpeg(
        ["-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"]
    ).stderr.decode()
    loud = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", err)[-1])
    peak = float(re.findall(r"Peak:\s+(-?[\d.]+) dBFS", err)[-1])
    return loud, peak


@pytest.mark.parametrize(
    ("tone", "click", "reaches"),
    [
        (0.1, 0.3, True),  # the gain fits once the clicks lose a few dB
        (0.01, 0.9, False),  # clicks ~35 dB above the tone: compressed, short, and noted
    ],
)
def test_loudness_target_and_true_peak_ceiling(
    tmp_path: Path, tone: float, click: float, reaches: bool
) -> None:
    preset = load_preset("reels")
    src = _tone_with_clicks(tmp_path / "in.wav", tone, click)
    out = tmp_path / "out.m4a"
    m = make_audio([AudioSpan(str(src), 0.0, 8.0, True)], 0.0, 8.0, preset, out)
    loud, peak = _measure(out)
    assert peak <= preset.true_peak, (loud, peak)  # after AAC encoding, not before
    note = loudness_shortfall(m, preset)
    if reaches:
        assert abs(loud - preset.loudness) <= 1.0, (loud, peak)
        assert note == ""
    else:
        assert loud < preset.loudness - 1.0
        assert "under the preset's -14" in note and "more gain would clip them" in note
