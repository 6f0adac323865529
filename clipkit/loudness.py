"""A clip's sound: cut, crossfaded, faded and loudness-normalised, with ffmpeg.

Two passes, as PLATFORMS.md recommends: loudnorm measures (``print_format=json``),
then the second pass applies the gain to the target (with a little limiting where the
peaks need it), or, for very peaky sound, loudnorm's own second pass; a true-peak
limiter holds the peaks under the preset's ceiling either way (see ``apply_filter``),
and the result is resampled to 48 kHz (loudnorm's dynamic mode runs at 192 kHz).
A span of a file without sound becomes silence: platforms expect an audio track.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from clipkit.errors import RenderError
from clipkit.ffmpeg import run_ffmpeg
from clipkit.presets import Preset

log = logging.getLogger(__name__)

RATE = 48000  # Hz: AAC-LC 48 kHz stereo everywhere (PLATFORMS.md)
# Loudness range target: the EBU R128 default; raised to what the clip measures
# so that loudnorm can stay in linear (gain-only) mode.
LRA = 11.0
# AAC encoding lets peaks overshoot what went in by up to about a dB (measured on the
# samples' clips at 160 kb/s): the limiter, at 4x the output rate (where the peaks
# between samples are samples), holds them this many dB under the true-peak ceiling.
CODEC_HEADROOM = 1.0
LIMIT_RATE = 4 * RATE
# Its look-ahead and release, ms (alimiter's defaults).
LIMIT_ATTACK_MS = 5.0
LIMIT_RELEASE_MS = 50.0
# At most this many dB of limiting on the loudest peak to reach the target by gain alone:
# more would flatten the very sound of the mishap (a clatter stands 20-27 dB above the
# samples' loudness), so such sound goes through loudnorm's compression instead.
MAX_LIMITING = 6.0
# Below this integrated loudness the clip is silence: nothing to normalise.
SILENCE_LUFS = -70.0
# How far under the target a clip's loudness may stay before its note says so.
SHORTFALL_LU = 1.0
_OUTPUT_I = re.compile(r"Output Integrated:\s+(-?[\d.]+|-?inf)\s+LUFS")
_JSON = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.S)


@dataclass(frozen=True)
class AudioSpan:
    """A piece of a file's sound: ``length`` s from ``start``."""

    path: str
    start: float
    length: float
    has_audio: bool


def inputs(spans: Sequence[AudioSpan]) -> list[str]:
    """ffmpeg input arguments, one input per span (silence for a file without sound)."""
    args: list[str] = []
    for s in spans:
        if s.has_audio:
            args += ["-ss", f"{s.start:.6f}", "-t", f"{s.length:.6f}", "-i", s.path]
        else:
            args += ["-f", "lavfi", "-t", f"{s.length:.6f}", "-i", f"anullsrc=r={RATE}:cl=stereo"]
    return args


def chain(
    labels: Sequence[str],
    spans: Sequence[AudioSpan],
    xfade: float,
    duration: float,
    preset: Preset,
    tail: str,
) -> str:
    """Filtergraph from the input ``labels`` to ``[aout]``, ending with filter ``tail``."""
    parts = []
    for i, (label, s) in enumerate(zip(labels, spans, strict=True)):
        parts.append(
            f"[{label}]aformat=sample_fmts=fltp:sample_rates={RATE}:"
            f"channel_layouts=stereo,apad,atrim=0:{s.length:.6f},"
            f"asetpts=PTS-STARTPTS[s{i}]"
        )
    if len(spans) == 2 and xfade > 0:
        parts.append(f"[s0][s1]acrossfade=d={xfade:.6f}:c1=tri:c2=tri[mix]")
    else:
        parts.append(
            "".join(f"[s{i}]" for i in range(len(spans))) + f"concat=n={len(spans)}:v=0:a=1[mix]"
        )
    fade = min(preset.audio_fade, duration / 4)
    fades = f"afade=t=in:d={fade:.3f},afade=t=out:st={duration - fade:.6f}:d={fade:.3f}"
    return ";".join(parts) + f";[mix]{fades}{',' + tail if tail else ''}[aout]"


def measure_filter(preset: Preset) -> str:
    return f"loudnorm=I={preset.loudness}:TP={preset.true_peak}:LRA={LRA}:print_format=json"


def apply_filter(preset: Preset, m: dict[str, str]) -> str:
    """From the first pass's figures: the gain to the target when the loudest peak then
    fits under the ceiling, or fits after at most MAX_LIMITING dB of limiting; else, for
    very peaky sound, loudnorm's second pass (which compresses it). Either way a limiter
    at 4x the output rate holds the true peaks under the ceiling. Nothing for silence.

    (loudnorm alone falls back to its dynamic mode whenever the peaks do not fit; on a
    clip of a few seconds that mode can end quieter than it started: -15.7 -> -16.5
    LUFS for a -14 target, where gain and 1.7 dB of limiting give -13.8.)"""
    measured_i = float(m["input_i"])
    if not math.isfinite(measured_i) or measured_i < SILENCE_LUFS:
        return f"aresample={RATE}"
    ceiling = preset.true_peak - CODEC_HEADROOM
    limiter = (
        f"aresample={LIMIT_RATE},alimiter=limit={10 ** (ceiling / 20):.5f}:"
        f"attack={LIMIT_ATTACK_MS:g}:release={LIMIT_RELEASE_MS:g}:level=false,"
        f"aresample={RATE}"
    )
    gain = preset.loudness - measured_i
    if float(m["input_tp"]) + gain - ceiling <= MAX_LIMITING:
        return f"volume={gain:.3f}dB,{limiter}"
    lra = min(50.0, max(LRA, float(m["input_lra"]) + 1))
    return (
        f"loudnorm=I={preset.loudness}:TP={preset.true_peak}:LRA={lra:g}:"
        f"measured_I={m['input_i']}:measured_TP={m['input_tp']}:"
        f"measured_LRA={m['input_lra']}:measured_thresh={m['input_thresh']}:"
        f"offset={m['target_offset']}:linear=true:print_format=summary,{limiter}"
    )


def parse_loudnorm(stderr: str) -> dict[str, str]:
    """The JSON block loudnorm prints; RenderError when there is none."""
    found = _JSON.findall(stderr)
    if not found:
        raise RenderError(f"loudness measurement failed: {stderr.strip()[-300:]}")
    return json.loads(found[-1])


def measure(
    spans: Sequence[AudioSpan], xfade: float, duration: float, preset: Preset
) -> dict[str, str]:
    """First pass: the clip's loudness as loudnorm sees it."""
    labels = [f"{i}:a" for i in range(len(spans))]
    graph = chain(labels, spans, xfade, duration, preset, measure_filter(preset))
    out = run_ffmpeg(
        [*inputs(spans), "-filter_complex", graph, "-map", "[aout]", "-f", "null", "-"]
    )
    return parse_loudnorm(out.stderr.decode("utf-8", "replace"))


def make_audio(
    spans: Sequence[AudioSpan], xfade: float, duration: float, preset: Preset, out: Path
) -> dict[str, str]:
    """Write the clip's normalised AAC sound to ``out``; return the first pass's figures."""
    m = measure(spans, xfade, duration, preset)
    labels = [f"{i}:a" for i in range(len(spans))]
    graph = chain(labels, spans, xfade, duration, preset, apply_filter(preset, m))
    res = run_ffmpeg(
        [
            "-y",
            *inputs(spans),
            "-filter_complex",
            graph,
            "-map",
            "[aout]",
            "-c:a",
            "aac",
            "-b:a",
            f"{preset.audio_bitrate}k",
            "-ar",
            str(RATE),
            "-ac",
            "2",
            str(out),
        ]
    )
    if res.returncode != 0 or not out.is_file():
        err = res.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderError(f"{out.name}: audio failed ({err[-1] if err else 'ffmpeg error'})")
    found = _OUTPUT_I.findall(res.stderr.decode("utf-8", "replace"))
    if found:
        m = {**m, "final_i": found[-1]}
    log.debug("loudness %s LUFS -> %s", m["input_i"], m.get("final_i"))
    return m


def loudness_shortfall(m: dict[str, str] | None, preset: Preset) -> str:
    """A note when the clip's sound stayed more than SHORTFALL_LU under the target (its
    peaks left no room for more gain), else ""."""
    if not m or "final_i" not in m:
        return ""
    out, peak = float(m["final_i"]), float(m["input_tp"]) - float(m["input_i"])
    if not math.isfinite(out) or out < SILENCE_LUFS or preset.loudness - out <= SHORTFALL_LU:
        return ""
    return (
        f"sound at {out:.1f} LUFS, under the preset's {preset.loudness:g}: its peaks stand "
        f"{peak:.0f} dB above its loudness, and more gain would clip them"
    )
