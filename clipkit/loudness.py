"""A clip's sound: cut, crossfaded, faded and loudness-normalised, with ffmpeg.

Two passes of ffmpeg's loudnorm, as PLATFORMS.md recommends: measure
(``print_format=json``), then apply the measured values with ``linear=true``
and resample to 48 kHz afterwards (loudnorm's dynamic fallback runs at
192 kHz). A span of a file without sound becomes silence: platforms expect
an audio track.
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
# Below this integrated loudness the clip is silence: nothing to normalise.
SILENCE_LUFS = -70.0
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
    """loudnorm with the first pass's figures, gain only; or nothing for silence."""
    measured_i = float(m["input_i"])
    if not math.isfinite(measured_i) or measured_i < SILENCE_LUFS:
        return f"aresample={RATE}"
    lra = min(50.0, max(LRA, float(m["input_lra"]) + 1))
    return (
        f"loudnorm=I={preset.loudness}:TP={preset.true_peak}:LRA={lra:g}:"
        f"measured_I={m['input_i']}:measured_TP={m['input_tp']}:"
        f"measured_LRA={m['input_lra']}:measured_thresh={m['input_thresh']}:"
        f"offset={m['target_offset']}:linear=true:print_format=summary,"
        f"aresample={RATE}"
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
    log.debug("loudness %s LUFS -> %s", m["input_i"], preset.loudness)
    return m
