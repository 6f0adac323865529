"""A clip's sound, as ffmpeg makes it: each span cut (silence for a file without
sound), crossfaded, faded in and out, then a filter chain (the gain and the limiter
that ``clipkit.render.loudness`` settles on), measured (ebur128: BS.1770 integrated loudness
and true peak) or encoded as AAC.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clipkit.errors import RenderError
from clipkit.media.ffmpeg import complaint, run_ffmpeg

RATE = 48000  # Hz: AAC-LC 48 kHz stereo everywhere (PLATFORMS.md)
LIMIT_RATE = 4 * RATE
# Its look-ahead and release, ms (alimiter's defaults).
LIMIT_ATTACK_MS = 5.0
LIMIT_RELEASE_MS = 50.0
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
    fade: float,
    tail: str,
) -> str:
    """Filtergraph from the input ``labels`` to ``[aout]``, faded in and out over
    ``fade`` s (a quarter of the clip at most), ending with filter ``tail``."""
    parts = []
    for i, (label, s) in enumerate(zip(labels, spans, strict=True)):
        parts.append(
            f"[{label}]aformat=sample_fmts=fltp:sample_rates={RATE}:"
            f"channel_layouts=stereo,apad,atrim=0:{s.length:.6f},"
            f"asetpts=PTS-STARTPTS[s{i}]"
        )
    if len(spans) > 1 and xfade > 0:
        # Each span crossfades into the next (a clip's recovery shot; a reel's parts).
        last = "s0"
        for i in range(1, len(spans)):
            out = "mix" if i == len(spans) - 1 else f"x{i}"
            parts.append(f"[{last}][s{i}]acrossfade=d={xfade:.6f}:c1=tri:c2=tri[{out}]")
            last = out
    else:
        parts.append(
            "".join(f"[s{i}]" for i in range(len(spans))) + f"concat=n={len(spans)}:v=0:a=1[mix]"
        )
    fade = min(fade, duration / 4)
    # (No fade at all for 0: afade's d=0 means its default length, about a second.)
    fades = f"afade=t=in:d={fade:.3f},afade=t=out:st={duration - fade:.6f}:d={fade:.3f}"
    after = ",".join(f for f in (fades if fade > 0 else "", tail) if f) or "anull"
    return ";".join(parts) + f";[mix]{after}[aout]"


def level_filter(gain: float, ceiling: float) -> str:
    """``gain`` dB, then a limiter at 4x the output rate (where the peaks between samples
    are samples) holding the true peaks under ``ceiling`` dBFS."""
    return (
        f"volume={gain:.3f}dB,aresample={LIMIT_RATE},alimiter=limit={10 ** (ceiling / 20):.5f}:"
        f"attack={LIMIT_ATTACK_MS:g}:release={LIMIT_RELEASE_MS:g}:level=false,"
        f"aresample={RATE}"
    )


def _ebur128(stderr: str, what: str) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) from ebur128's summary."""
    i, tp = _EBUR_I.findall(stderr), _EBUR_TP.findall(stderr)
    if not i or not tp:
        raise RenderError(f"{what}: loudness measurement failed ({complaint(stderr)})")
    return float(i[-1]), float(tp[-1])


def measure(
    spans: Sequence[AudioSpan], xfade: float, duration: float, fade: float, before: str = ""
) -> tuple[float, float]:
    """The clip's integrated loudness and true peak, after the filters ``before``."""
    labels = [f"{i}:a" for i in range(len(spans))]
    tail = ",".join(f for f in (before, "ebur128=peak=true") if f)
    graph = chain(labels, spans, xfade, duration, fade, tail)
    out = run_ffmpeg(
        ["-nostats", *inputs(spans), "-filter_complex", graph, "-map", "[aout]", "-f", "null", "-"]
    )
    return _ebur128(out.stderr.decode("utf-8", "replace"), "the clip's sound")


def measure_file(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of ``path``'s sound, by ebur128."""
    res = run_ffmpeg(
        ["-nostats", "-i", str(path), "-map", "0:a", "-af", "ebur128=peak=true", "-f", "null", "-"]
    )
    return _ebur128(res.stderr.decode("utf-8", "replace"), path.name)


def decode(spans: Sequence[AudioSpan], xfade: float, duration: float, fade: float) -> np.ndarray:
    """The clip's sound as made before any gain (cut, crossfaded, faded): float32
    samples x 2 channels at RATE, for mixing in numpy (a sting, clipkit.render.loudness)."""
    labels = [f"{i}:a" for i in range(len(spans))]
    graph = chain(labels, spans, xfade, duration, fade, "")
    res = run_ffmpeg(
        ["-v", "error", *inputs(spans), "-filter_complex", graph, "-map", "[aout]",
         "-f", "f32le", "-ar", str(RATE), "-ac", "2", "-"]
    )  # fmt: skip
    if res.returncode != 0:
        err = complaint(res.stderr.decode("utf-8", "replace"), "ffmpeg error")
        raise RenderError(f"the clip's sound: decoding failed ({err})")
    return np.frombuffer(res.stdout, dtype="<f4").reshape(-1, 2)


def encode(
    spans: Sequence[AudioSpan],
    xfade: float,
    duration: float,
    fade: float,
    tail: str,
    bitrate: int,
    out: Path,
) -> None:
    """Write the clip's sound, through ``tail``, as AAC at ``bitrate`` kb/s to ``out``."""
    labels = [f"{i}:a" for i in range(len(spans))]
    graph = chain(labels, spans, xfade, duration, fade, tail)
    res = run_ffmpeg(
        ["-y", *inputs(spans), "-filter_complex", graph, "-map", "[aout]", "-c:a", "aac",
         "-b:a", f"{bitrate}k", "-ar", str(RATE), "-ac", "2", str(out)]
    )  # fmt: skip
    if res.returncode != 0 or not out.is_file():
        err = res.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderError(f"{out.name}: audio failed ({err[-1] if err else 'ffmpeg error'})")
