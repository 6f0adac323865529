"""A clip's sound: cut, crossfaded, faded and brought to the preset's loudness, with ffmpeg.

loudnorm measures first (``print_format=json``, as PLATFORMS.md recommends); the sound
then gets the gain to the target, and a true-peak limiter (alimiter at 4x the output
rate) takes down the peaks that the gain would push over the ceiling. Limiting an
impact lowers the loudness a little, so where the limiter works the gain is measured
again and raised until the target is met (see ``settle_gain``). The encoded AAC is
measured at the end (ebur128, true peak) and those figures go to the manifest.
A span of a file without sound becomes silence: platforms expect an audio track.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from clipkit.errors import RenderError
from clipkit.ffmpeg import complaint, run_ffmpeg
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
# Limiting an impact (a clatter stands 20-27 dB above the loudness of the samples'
# clips) takes a little of the clip's loudness with it: the gain is raised by what is
# missing and measured again, until within this many LU (the issue allows 1 LU) or
# after MAX_PASSES measurements (2-3 were enough on the samples and real footage).
SETTLE_LU = 0.2
MAX_PASSES = 5
# The encoded sound may end this many LU off the target before it is made again with
# the gain put right (white noise lost 0.6 LU to the AAC encoder's low-pass).
ENCODED_LU = 0.4
ENCODED_TRIES = 2
# Below this integrated loudness the clip is silence: nothing to normalise.
SILENCE_LUFS = -70.0
_JSON = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.S)
_EBUR_I = re.compile(r"I:\s+(-?[\d.]+|-?inf) LUFS")
_EBUR_TP = re.compile(r"Peak:\s+(-?[\d.]+|-?inf) dBFS")


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


def level_filter(gain: float, ceiling: float) -> str:
    """``gain`` dB, then a limiter at 4x the output rate (where the peaks between samples
    are samples) holding the true peaks under ``ceiling`` dBFS."""
    return (
        f"volume={gain:.3f}dB,aresample={LIMIT_RATE},alimiter=limit={10 ** (ceiling / 20):.5f}:"
        f"attack={LIMIT_ATTACK_MS:g}:release={LIMIT_RELEASE_MS:g}:level=false,"
        f"aresample={RATE}"
    )


def apply_filter(preset: Preset, m: dict[str, str]) -> str:
    """From the first pass's figures, in one pass: the gain to the target and the limiter
    (nothing but resampling for silence). ``settle_gain`` refines the gain where the
    limiter takes loudness away; the benchmark times this single pass."""
    measured_i = float(m["input_i"])
    if not math.isfinite(measured_i) or measured_i < SILENCE_LUFS:
        return f"aresample={RATE}"
    return level_filter(preset.loudness - measured_i, preset.true_peak - CODEC_HEADROOM)


def parse_loudnorm(stderr: str) -> dict[str, str]:
    """The JSON block loudnorm prints; RenderError when there is none."""
    found = _JSON.findall(stderr)
    if not found:
        raise RenderError(f"loudness measurement failed: {stderr.strip()[-300:]}")
    return json.loads(found[-1])


def measure(
    spans: Sequence[AudioSpan], xfade: float, duration: float, preset: Preset, before: str = ""
) -> dict[str, str]:
    """The clip's loudness as loudnorm sees it, after the filters ``before`` (if any)."""
    labels = [f"{i}:a" for i in range(len(spans))]
    tail = ",".join(f for f in (before, measure_filter(preset)) if f)
    graph = chain(labels, spans, xfade, duration, preset, tail)
    out = run_ffmpeg(
        [*inputs(spans), "-filter_complex", graph, "-map", "[aout]", "-f", "null", "-"]
    )
    return parse_loudnorm(out.stderr.decode("utf-8", "replace"))


def settle_gain(
    spans: Sequence[AudioSpan],
    xfade: float,
    duration: float,
    preset: Preset,
    m: dict[str, str],
    ceiling: float,
) -> float:
    """The gain (dB) that brings the clip to the target through the limiter: the plain
    difference when the peaks then fit under ``ceiling``; else raised by what the
    limiter took away, measured, until within SETTLE_LU."""
    gain = preset.loudness - float(m["input_i"])
    if float(m["input_tp"]) + gain <= ceiling:
        return gain  # linear: nothing for the limiter to do
    for _ in range(MAX_PASSES):
        got = float(measure(spans, xfade, duration, preset, level_filter(gain, ceiling))["input_i"])
        missing = preset.loudness - got
        if not math.isfinite(got) or abs(missing) <= SETTLE_LU:
            break
        gain += missing
    return gain


@dataclass(frozen=True)
class Loudness:
    """What a clip's sound was made at and came out at (measured on the encoded file)."""

    target: float  # LUFS, the preset's
    integrated: float | None  # LUFS, ebur128 on the encoded sound (None: silence)
    true_peak: float | None  # dBTP, likewise
    gain: float  # dB applied before the limiter
    limiter: float  # dB the limiter took off the loudest (true) peak; 0 when it did nothing
    source: float | None  # LUFS of the cut sound before any gain (None: silence)

    def to_dict(self) -> dict[str, float | None]:
        return {k: (None if v is None else round(v, 2)) for k, v in asdict(self).items()}

    def describe(self) -> str:
        """One line for ``--verbose``."""
        if self.integrated is None:
            return "sound: silence"
        return (
            f"sound {self.integrated:.1f} LUFS (target {self.target:g}), true peak "
            f"{self.true_peak:.1f} dBTP; gain {self.gain:+.1f} dB, limiter "
            f"{self.limiter:.1f} dB on the loudest peak"
        )


def measure_file(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of ``path``'s sound, by ebur128."""
    res = run_ffmpeg(
        ["-nostats", "-i", str(path), "-map", "0:a", "-af", "ebur128=peak=true", "-f", "null", "-"]
    )
    err = res.stderr.decode("utf-8", "replace")
    i, tp = _EBUR_I.findall(err), _EBUR_TP.findall(err)
    if not i or not tp:
        raise RenderError(f"{path.name}: loudness measurement failed ({complaint(err)})")
    return float(i[-1]), float(tp[-1])


def _encode(
    spans: Sequence[AudioSpan], xfade: float, duration: float, preset: Preset, tail: str, out: Path
) -> None:
    labels = [f"{i}:a" for i in range(len(spans))]
    graph = chain(labels, spans, xfade, duration, preset, tail)
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


def make_audio(
    spans: Sequence[AudioSpan], xfade: float, duration: float, preset: Preset, out: Path
) -> Loudness:
    """Write the clip's sound, at the preset's loudness, as AAC to ``out``."""
    m = measure(spans, xfade, duration, preset)
    source = float(m["input_i"])
    if not math.isfinite(source) or source < SILENCE_LUFS:
        _encode(spans, xfade, duration, preset, f"aresample={RATE}", out)
        return Loudness(preset.loudness, None, None, 0.0, 0.0, None)
    ceiling = preset.true_peak - CODEC_HEADROOM
    gain = settle_gain(spans, xfade, duration, preset, m, ceiling)
    _encode(spans, xfade, duration, preset, level_filter(gain, ceiling), out)
    loud, peak = measure_file(out)
    for _ in range(ENCODED_TRIES):
        # The encoder cuts the highest frequencies (less loudness for hiss) and lets peaks
        # overshoot: what is off in the encoded file is put right.
        missing, over = preset.loudness - loud, peak - preset.true_peak
        if not math.isfinite(missing) or (abs(missing) <= ENCODED_LU and over <= 0):
            break
        gain += missing if abs(missing) > ENCODED_LU else 0.0
        ceiling -= over + 0.2 if over > 0 else 0.0
        _encode(spans, xfade, duration, preset, level_filter(gain, ceiling), out)
        loud, peak = measure_file(out)
    limiter = max(0.0, float(m["input_tp"]) + gain - ceiling)
    log.debug(
        "loudness %.1f LUFS -> %.1f (gain %.1f dB, limiter %.1f dB)", source, loud, gain, limiter
    )
    return Loudness(preset.loudness, loud, peak, gain, limiter, source)
