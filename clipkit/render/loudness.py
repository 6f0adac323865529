"""A clip's sound brought to the preset's loudness (ffmpeg makes it: clipkit.media.audio).

The clip's sound is measured first (ffmpeg's ebur128 filter, BS.1770 integrated loudness
and true peak); it then gets the gain to the target, and a true-peak limiter (alimiter
at 4x the output rate) takes down the peaks that the gain would push over the ceiling.
Limiting an impact lowers the loudness a little, so where the limiter works the gain is
measured again and raised until the target is met (see ``settle_gain``). The encoded
AAC is measured at the end, and those figures go to the manifest. A span of a file
without sound becomes silence: platforms expect an audio track.

(loudnorm, which PLATFORMS.md suggests, measured these clips of a few seconds badly:
after the limiter, gains rising from 10 to 19 dB measured -15.8, -16.6, -16.2, -16.2,
-15.8 LUFS, where ebur128 and the encoded file agree within 0.1 LU.)
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from clipkit.clips.presets import Preset
from clipkit.media.audio import (
    RATE,
    AudioSpan,
    decode,
    encode,
    level_filter,
    measure,
    measure_file,
)

log = logging.getLogger(__name__)

# AAC encoding lets peaks overshoot what went in by up to about a dB (measured on the
# samples' clips at 160 kb/s): the limiter, at 4x the output rate (where the peaks
# between samples are samples), holds them this many dB under the true-peak ceiling.
CODEC_HEADROOM = 1.0
# Limiting an impact (a clatter stands 20-27 dB above the loudness of the samples'
# clips) takes some of the clip's loudness with it: the gain is searched for, measuring,
# until within this many LU of the aim (the issue allows 1 LU), in at most MAX_PASSES
# measurements (the samples' and real footage's clips took 1-5, about 0.1 s each).
SETTLE_LU = 0.2
MAX_PASSES = 8
# Times the sound may be made again when the encoded file's true peak overshoots or
# its loudness ends more than ENCODED_LU off the target.
ENCODED_TRIES = 2
ENCODED_LU = 0.3
# ebur128 prints a tenth of a dB: a true peak read as -1.5 may be -1.45, so a peak must
# read this much under the ceiling to be surely under it.
READING = 0.1
# Below this integrated loudness the clip is silence: nothing to normalise.
SILENCE_LUFS = -70.0


def apply_filter(preset: Preset, m: tuple[float, float]) -> str:
    """From the first measurement (``measure``), in one pass: the gain to the target and
    the limiter (nothing but resampling for silence). ``settle_gain`` refines the gain
    where the limiter takes loudness away; the benchmark times this single pass."""
    if not _sound(m[0]):
        return f"aresample={RATE}"
    return level_filter(preset.loudness - m[0], preset.true_peak - CODEC_HEADROOM)


def _sound(integrated: float) -> bool:
    return math.isfinite(integrated) and integrated > SILENCE_LUFS


def settle_gain(
    spans: Sequence[AudioSpan],
    xfade: float,
    duration: float,
    preset: Preset,
    m: tuple[float, float],
    ceiling: float,
    aim: float,
) -> float:
    """The gain (dB) that brings the clip (measured ``m``) to ``aim`` LUFS through the
    limiter: the plain difference when the peaks then fit under ``ceiling``; else found
    by measuring, to within SETTLE_LU.

    Limiting does not just take the peaks' share of the loudness away: the loudness
    gate drops with the loud blocks, so quieter ones count, and more gain can measure
    quieter (the pancake clip: -15.9, -16.4, -16.2, -16.1 LUFS for 11, 13, 15, 17 dB).
    So the gain is raised in doubling steps until it measures loud enough, then the
    crossing is narrowed down between the last two (secant, kept inside them)."""
    gain = aim - m[0]
    if m[1] + gain <= ceiling:
        return gain  # linear: nothing for the limiter to do

    def at(g: float) -> float:
        return measure(spans, xfade, duration, preset.audio_fade, level_filter(g, ceiling))[0]

    lo, lo_i = gain, at(gain)
    hi: tuple[float, float] | None = None
    step = max(aim - lo_i, 1.0)
    for _ in range(MAX_PASSES - 1):
        if abs(aim - lo_i) <= SETTLE_LU or not math.isfinite(lo_i):
            return lo
        if hi is None:
            g = lo + step
            step *= 2
        else:
            t = (aim - lo_i) / (hi[1] - lo_i) if hi[1] > lo_i else 0.5
            g = lo + min(0.9, max(0.1, t)) * (hi[0] - lo)
        i = at(g)
        if abs(aim - i) <= SETTLE_LU:
            return g
        if i > aim:
            hi = (g, i)
        else:
            lo, lo_i = g, i
    # Not within SETTLE_LU after MAX_PASSES: the nearer of the two.
    return hi[0] if hi is not None and hi[1] - aim < aim - lo_i else lo


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


def _encode(
    spans: Sequence[AudioSpan], xfade: float, duration: float, preset: Preset, tail: str, out: Path
) -> None:
    encode(spans, xfade, duration, preset.audio_fade, tail, preset.audio_bitrate, out)


@dataclass(frozen=True)
class StingCue:
    """A sting (clipkit.render.sting) to mix into a clip's sound: its name, ``at`` s into
    the clip, ``level`` LU over the clip's loudness, the sound under it ducked ``duck`` dB."""

    name: str
    at: float
    level: float = 0.0
    duck: float = -10.0

    @classmethod
    def of(cls, name: str, at: float, preset: Preset) -> StingCue:
        return cls(name, at, preset.sting_level, preset.sting_duck)


def with_sting(
    spans: Sequence[AudioSpan], xfade: float, duration: float, preset: Preset,
    cue: StingCue, wav: Path,
) -> AudioSpan:  # fmt: skip
    """The clip's sound with the sting mixed in, before any gain (so the loudness stage
    that follows brings the mix to the target), as one span of the float WAV ``wav``."""
    from clipkit.render.sting import mix_sting, synth, write_wav

    sound = decode(spans, xfade, duration, preset.audio_fade)
    mixed = mix_sting(sound, RATE, synth(cue.name, RATE), cue.at, level=cue.level,
                      duck_db=cue.duck)  # fmt: skip
    write_wav(wav, mixed, RATE)
    return AudioSpan(str(wav), 0.0, duration, True)


def make_audio(
    spans: Sequence[AudioSpan],
    xfade: float,
    duration: float,
    preset: Preset,
    out: Path,
    sting: StingCue | None = None,
) -> Loudness:
    """Write the clip's sound, at the preset's loudness, as AAC to ``out``; with
    ``sting`` mixed in first (through a WAV beside ``out``, removed after)."""
    if sting is None:
        return _make_audio(spans, xfade, duration, preset, out)
    wav = out.with_name(out.name + ".sting.wav")
    try:
        mixed = with_sting(spans, xfade, duration, preset, sting, wav)
        # The mix is cut, crossfaded and faded already.
        return _make_audio([mixed], 0.0, duration, replace(preset, audio_fade=0.0), out)
    finally:
        wav.unlink(missing_ok=True)


def _make_audio(
    spans: Sequence[AudioSpan], xfade: float, duration: float, preset: Preset, out: Path
) -> Loudness:
    m = measure(spans, xfade, duration, preset.audio_fade)
    if not _sound(m[0]):
        _encode(spans, xfade, duration, preset, f"aresample={RATE}", out)
        return Loudness(preset.loudness, None, None, 0.0, 0.0, None)
    ceiling, aim = preset.true_peak - CODEC_HEADROOM, preset.loudness
    for _ in range(1 + ENCODED_TRIES):
        gain = settle_gain(spans, xfade, duration, preset, m, ceiling, aim)
        _encode(spans, xfade, duration, preset, level_filter(gain, ceiling), out)
        loud, peak = measure_file(out)
        # The encoder lets the peaks of heavily limited sound overshoot by up to ~2 dB
        # (a mono Opus track), and takes the hiss above its cut-off away (1 LU of a
        # noisy room): the limiter is set lower, the aim higher, and the sound made again.
        over, off = peak - (preset.true_peak - READING), preset.loudness - loud
        if not math.isfinite(loud) or (over <= 0 and abs(off) <= ENCODED_LU):
            break
        ceiling -= max(0.0, over + 0.2)
        aim += off if abs(off) > ENCODED_LU else 0.0
    limiter = max(0.0, m[1] + gain - ceiling)
    log.debug(
        "loudness %.1f LUFS -> %.1f (gain %.1f dB, limiter %.1f dB)", m[0], loud, gain, limiter
    )
    return Loudness(preset.loudness, loud, peak, gain, limiter, m[0])
