"""Sound stings: short effects synthesised here with numpy, mixed in at a mishap's peak.

No sample files: every sting is made from sines and seeded noise, so it is the same on
every run and machine, and its licence is clipkit's own. Each is made clean to lay in:
it starts and ends at 0 (no click), has no offset nor anything under 20 Hz, makes no
partial past 0.45 of the rate (nothing folds back: no aliasing), peaks at PEAK, and is
loud within a frame of its start, where the mix puts the peak (tests/test_posts_sting.py
measures these, and what each name promises).

``mix_sting`` lays a sting over a clip's sound at a given time, ducks the original
under it with raised-cosine ramps (no clicks), and gives the mix back at the loudness
the clip had (or a target). Peaks above full scale are left to the render's loudness
stage, whose true-peak limiter (clipkit.render.loudness) comes after the mix; the mix is
float and does not clip.

Proposed preset fields (and ``--sting`` with the same name): ``sting`` (a name of
``STINGS``, "" for none), ``sting_level`` (LU relative to the clip, default 0),
``sting_duck`` (dB the original is lowered under the sting, default -10).
"""

from __future__ import annotations

import functools
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clipkit.errors import PresetError
from clipkit.files import atomic_path
from clipkit.options import sting_name
from clipkit.render.bs1770 import integrated_loudness, k_weight

RATE = 48000
PEAK = 0.9  # each sting is made with this sample peak (its level is set when mixed)
# Ramps of the ducking: down in 40 ms before the sting (short enough that the sting
# still lands on the beat, long enough not to click), back up in 250 ms after it.
DUCK_FADE = 0.04
DUCK_RELEASE = 0.25
DUCK_DB = -10.0
# Loudness taken for a clip whose own cannot be measured (silence, under 0.4 s).
FALLBACK_LUFS = -23.0


def _normal(x: np.ndarray) -> np.ndarray:
    return x * (PEAK / max(float(np.max(np.abs(x))), 1e-12))


def _finish(x: np.ndarray, rate: int) -> np.ndarray:
    """``x`` without what is under 20 Hz (none of it audible, all of it headroom spent:
    an offset, a record's thump as it turns), easing in up to 40 Hz; with raised-cosine
    ends (1 ms in, 10 ms out), so that it starts and ends at 0 (no click where it is
    laid in or where it stops); its mean, that the ends leave, taken out as one
    Hann-shaped bump as long as the sting (0 at both ends); brought to PEAK."""
    n = len(x)
    spec = np.fft.rfft(x)
    x = np.fft.irfft(spec * _eased((np.fft.rfftfreq(n, 1 / rate) - 20.0) / 20.0), n)
    ramp = np.ones(n)
    head, tail = max(1, int(0.001 * rate)), max(1, int(0.01 * rate))
    ramp[:head] = _eased(np.arange(head) / head)
    ramp[n - tail :] = _eased(np.arange(tail - 1, -1, -1) / tail)
    y = x * ramp
    bump = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / max(n - 1, 1))
    return _normal(y - bump * (np.sum(y) / np.sum(bump)))


def _phase(freq: np.ndarray, rate: int) -> np.ndarray:
    return 2 * np.pi * np.cumsum(freq) / rate


def _audible(freq: np.ndarray, rate: int) -> np.ndarray:
    """Per-sample gain of a partial at ``freq`` Hz: 1 in the audible band, easing to 0
    below 30 Hz (no rumble, no offset) and towards the Nyquist frequency (0 from 0.45 of
    the rate: a partial that would fold back is not made, so nothing aliases)."""
    f = np.abs(freq)
    low = np.clip((f - 30.0) / 30.0, 0.0, 1.0)
    high = np.clip((0.45 * rate - f) / (0.05 * rate), 0.0, 1.0)
    return low * high


def _eased(x: np.ndarray) -> np.ndarray:
    """0 to 1 along a raised cosine as ``x`` goes from 0 to 1 (0 before, 1 after)."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def _fall(t: np.ndarray, length: float) -> np.ndarray:
    """1 until ``length`` s before the end of ``t``, then a raised cosine down to 0."""
    return _eased((t[-1] - t) / length)


def boing(rate: int = RATE) -> np.ndarray:
    """A spring's twang: a plucked tone around 220 Hz whose pitch wobbles half an octave
    either way, the wobble slowing (18 Hz to under 8) and narrowing as the tone dies;
    its upper harmonics (the pluck's brightness) die first."""
    t = np.arange(int(0.8 * rate)) / rate
    wobble = 6.0 + 12.0 * np.exp(-t / 0.25)  # Hz: the spring slows down
    depth = 0.5 * np.exp(-t / 0.4)  # octaves either way
    freq = 220.0 * 2 ** (depth * np.sin(_phase(wobble, rate)))
    ph = _phase(freq, rate)
    partials = ((1, 1.0, 0.35), (2, 0.6, 0.15), (3, 0.35, 0.08), (4, 0.2, 0.05))
    tone = sum(a * np.exp(-t / d) * np.sin(k * ph) for k, a, d in partials)
    return _finish(tone * np.minimum(t / 0.002, 1.0) * _fall(t, 0.15), rate)


def _band_noise(n: int, rate: int, centre: np.ndarray, width: float, seed: int) -> np.ndarray:
    """``n`` samples of seeded noise in a band (a Gaussian in log frequency, ``width``
    its spread in natural-log units) around ``centre`` (Hz, per sample), at an even
    level: made in ~21 ms frames as random spectra weighted by the band at the frame's
    middle, each frame's power the same, overlap-added at half overlap under sqrt-Hann
    windows (whose squares sum to 1, so the level does not flutter at the frame rate);
    its RMS 1."""
    size = 1 << round(math.log2(0.021 * rate))
    hop = size // 2
    frames = n // hop + 2
    rng = np.random.default_rng(seed)
    f = np.fft.rfftfreq(size, 1 / rate)
    spec = rng.standard_normal((frames, f.size)) + 1j * rng.standard_normal((frames, f.size))
    middle = np.minimum(np.arange(frames) * hop, n - 1)  # frame k's, in output samples
    log_f = np.log(np.maximum(f, 1.0))
    w = np.exp(-(((log_f[None, :] - np.log(centre[middle])[:, None]) / width) ** 2))
    w *= _audible(f, rate)  # nothing at 0 Hz (no offset), nor next to the Nyquist frequency
    w /= np.sqrt(np.sum(w * w, axis=1, keepdims=True))
    window = np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(size) / size))
    blocks = np.fft.irfft(spec * w, size, axis=1) * window
    out = np.zeros((frames + 1, hop))
    out[:-1] += blocks[:, :hop]
    out[1:] += blocks[:, hop:]
    out = out.ravel()[hop : hop + n]
    return out / np.sqrt(np.mean(out * out))


def whoosh(rate: int = RATE) -> np.ndarray:
    """Air rushing past: a band of noise that swells in 30 ms while it sweeps up to
    3 kHz, then falls away over half a second as it sweeps down to 300 Hz."""
    t = np.arange(int(0.6 * rate)) / rate
    top, rise = 0.06, 0.03  # s: when the band is highest; when the level is
    up, down = _eased(t / top), _eased((t - top) / (0.55 - top))
    centre = 700.0 * (3000.0 / 700.0) ** up * (300.0 / 3000.0) ** down
    swell = np.where(t < rise, _eased(t / rise), np.exp(-(((t - rise) / 0.22) ** 2)))
    return _finish(_band_noise(t.size, rate, centre, 0.5, seed=7) * swell * _fall(t, 0.05), rate)


def _record(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sound on the record: a buzzy tone (a sawtooth's first 40 harmonics of 150 Hz)
    and a hiss of 120 partials at seeded frequencies; their frequencies (Hz, played at
    normal speed), amplitudes and phases."""
    rng = np.random.default_rng(seed)
    k = np.arange(1, 41)
    hiss = np.exp(rng.uniform(np.log(300.0), np.log(8000.0), 120))
    freqs = np.concatenate([150.0 * k, hiss])
    amps = np.concatenate([1.0 / k, np.full(hiss.size, 0.08)])
    return freqs, amps, rng.uniform(0, 2 * np.pi, freqs.size)


# The hand's strokes: (s, peak speed in times normal, + forward, - back), each speed a
# half sine, so the record stops between strokes and its pitch rises and falls in each.
# The sting starts 15 ms into the first (the hand already moving: sound from the start).
_STROKES = ((0.075, -2.6), (0.07, 2.2), (0.06, -2.4), (0.06, 2.0), (0.1, -1.5))
_STROKE_LEAD = 0.015


def record_scratch(rate: int = RATE) -> np.ndarray:
    """A vinyl scratch: a record pushed back and forth under the needle (five strokes),
    the sound on it pitched up and down with the hand, louder the faster it moves.
    Each partial is made at its own pitch and speed, so none folds back over the
    Nyquist frequency (no aliasing) and none is left humming when the record stops."""
    t = np.arange(int((sum(s for s, _ in _STROKES) - _STROKE_LEAD) * rate)) / rate
    speed = np.zeros_like(t)
    begin = -_STROKE_LEAD
    for length, peak in _STROKES:
        inside = (t >= begin) & (t < begin + length)
        speed[inside] = peak * np.sin(np.pi * (t[inside] - begin) / length)
        begin += length
    pos = np.cumsum(speed) / rate  # s into the record
    sound = np.zeros_like(t)
    for f, a, p in zip(*_record(seed=11), strict=True):
        sound += a * _audible(f * speed, rate) * np.sin(2 * np.pi * f * pos + p)
    # The needle's rasp: a wide band of noise, pitched with the record like its sound.
    rasp = _band_noise(t.size, rate, 300.0 + 2500.0 * np.abs(speed), 1.0, seed=12)
    return _finish((sound + 0.15 * rasp) * np.abs(speed) ** 0.7 * _fall(t, 0.02), rate)


# wah, wah, wah, waaah: D4, C#4, C4, then B3 held with a widening vibrato; (Hz, s).
_TROMBONE_NOTES = ((293.66, 0.34), (277.18, 0.34), (261.63, 0.34), (246.94, 1.3))
_TONGUE = 0.02  # s of silence that end each short note: the tongue between two notes


def _brass(freq: np.ndarray, mute: np.ndarray, rate: int) -> np.ndarray:
    """A brassy tone: every harmonic up to 8 kHz (odd and even), the fundamental a
    little under the next ones, the rest falling 12 dB an octave above a corner that a
    plunger mute moves, from 1.5 kHz open (``mute`` 0) to 600 Hz closed (1)."""
    ph = _phase(freq, rate)
    corner = 1500.0 * (600.0 / 1500.0) ** mute
    out = np.zeros_like(freq)
    for k in range(1, int(8000 / freq.min()) + 1):
        fk = k * freq
        a = np.sqrt(np.minimum(fk / 450.0, 1.0)) / np.sqrt(1 + (fk / corner) ** 4)
        out += a * _audible(fk, rate) * np.sin(k * ph)
    return out


def sad_trombone(rate: int = RATE) -> np.ndarray:
    """The sad trombone: four notes falling a semitone each, each a "wah" (the mute
    opening in 80 ms, the lip scooping up to pitch, the mute closing as the note ends),
    the last one long, its vibrato widening to a quarter tone either way, sagging a
    quarter tone and fading at the end."""
    notes = []
    for i, (f0, length) in enumerate(_TROMBONE_NOTES):
        t = np.arange(int(length * rate)) / rate
        freq = f0 * 2 ** (-0.3 / 12 * np.exp(-t / 0.03))  # the scoop: 30 cents flat to on
        attack = np.minimum(t / 0.008, 1.0)
        if i < len(_TROMBONE_NOTES) - 1:
            left = length - _TONGUE - t  # s of sound left
            env = attack * np.clip(left / 0.04, 0.0, 1.0)
            mute = np.maximum(1 - _eased(t / 0.08), 1 - _eased(left / 0.1))
        else:
            vibrato = 0.25 / 12 * np.minimum(t / 0.6, 1.0) * np.sin(2 * np.pi * 5.0 * t)
            sag = -0.25 / 12 * _eased((t - 0.8) / (length - 0.8))
            freq = freq * 2 ** (vibrato + sag)
            env = 0.8 * attack * _fall(t, 0.45)
            mute = np.maximum(1 - _eased(t / 0.08), 1 - _eased((length - t) / 0.5))
        notes.append(_brass(freq, mute, rate) * env)
    return _finish(np.concatenate(notes), rate)


@dataclass(frozen=True)
class Sting:
    """A named effect; ``make(rate)`` gives its mono samples, its hit (the loud part)
    at the start: sample 0 is laid at the peak."""

    name: str
    help: str
    make: Callable[[int], np.ndarray]


STINGS: dict[str, Sting] = {
    s.name: s
    for s in (
        Sting("boing", "a spring's wobbling twang", boing),
        Sting("whoosh", "a noise band rushing up and down", whoosh),
        Sting("record-scratch", "a vinyl record dragged back and forth", record_scratch),
        Sting("sad-trombone", "wah, wah, wah, waaah", sad_trombone),
    )
}


def get_sting(name: str) -> Sting:
    """The sting called ``name`` (``_`` and spaces read as ``-``); PresetError listing the
    choices, with the nearest one, otherwise."""
    try:
        return STINGS[sting_name(name)]
    except ValueError as e:
        raise PresetError(f"sting {e}") from None


def synth(name: str, rate: int = RATE) -> np.ndarray:
    """The samples of the sting called ``name`` at ``rate`` Hz (mono, float64)."""
    return _made(get_sting(name).name, rate).copy()


@functools.lru_cache(maxsize=16)
def _made(name: str, rate: int) -> np.ndarray:
    """Each sting is made once per rate (the slowest takes ~0.1 s)."""
    return STINGS[name].make(rate)


def duck_envelope(n: int, rate: int, start: float, end: float, duck_db: float) -> np.ndarray:
    """Per-sample gain: 1, easing down (raised cosine, DUCK_FADE s) to ``duck_db`` by
    ``start``, held to ``end``, easing back up over DUCK_RELEASE s."""
    t = np.arange(n) / rate
    low = 10 ** (duck_db / 20)
    down = np.clip((start - t) / DUCK_FADE, 0.0, 1.0)  # 1 before the ramp, 0 at start
    up = np.clip((t - end) / DUCK_RELEASE, 0.0, 1.0)
    ease = np.maximum(0.5 - 0.5 * np.cos(np.pi * down), 0.5 - 0.5 * np.cos(np.pi * up))
    return low + (1 - low) * ease


def plain_loudness(x: np.ndarray, rate: int) -> float:
    """Ungated loudness (LUFS) of a short sound (a sting is shorter than a gating block)."""
    y = k_weight(x, rate)
    power = float(np.mean(np.sum(y * y, axis=1)))
    return -0.691 + 10 * math.log10(power) if power > 0 else -math.inf


def _finite_or(value: float, fallback: float) -> float:
    return value if math.isfinite(value) else fallback


def mix_sting(
    audio: np.ndarray,
    rate: int,
    sting: np.ndarray,
    at: float,
    *,
    level: float = 0.0,
    duck_db: float = DUCK_DB,
    target: float | None = None,
) -> np.ndarray:
    """``audio`` (samples, or samples x channels) with ``sting`` (mono, same rate)
    starting at ``at`` s, ``level`` LU above the clip's loudness, the original ducked by
    ``duck_db`` under it; the result is brought to ``target`` LUFS (default: the
    clip's own loudness, so the sting does not change it)."""
    x = np.asarray(audio, dtype=np.float64)
    mono = x.ndim == 1
    x = x.reshape(len(x), -1)
    own = _finite_or(integrated_loudness(x, rate), target or FALLBACK_LUFS)
    aim = own if target is None else target
    at = max(0.0, at)  # (a peak before the clip starts: at its start)
    begin = int(round(at * rate))
    part = sting[: max(0, len(x) - begin)]
    placed = np.zeros(len(x))
    placed[begin : begin + len(part)] = part * 10 ** (
        (own + level - plain_loudness(sting, rate)) / 20
    )
    end = at + len(part) / rate
    mixed = x * duck_envelope(len(x), rate, at, end, duck_db)[:, None] + placed[:, None]
    now = _finite_or(integrated_loudness(mixed, rate), plain_loudness(mixed, rate))
    mixed *= 10 ** ((aim - now) / 20)
    return mixed[:, 0] if mono else mixed


def write_wav(path: Path, audio: np.ndarray, rate: int) -> Path:
    """``audio`` (samples, or samples x channels) as a 32-bit float WAV, the form that
    keeps a mix's peaks above full scale for the render's limiter; under a temporary
    name, then renamed into place."""
    x = np.asarray(audio, dtype="<f4").reshape(len(audio), -1)
    channels, data = x.shape[1], x.tobytes()
    # RIFF header, then "fmt " (format 3: IEEE float) and "data" chunks.
    fmt = struct.pack("<HHIIHH", 3, channels, rate, rate * 4 * channels, 4 * channels, 32)
    head = b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE"
    body = b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data))
    with atomic_path(path, ".wav", full=False) as tmp:
        tmp.write_bytes(head + body + data)
    return path


__all__ = [
    "STINGS",
    "write_wav",
    "Sting",
    "get_sting",
    "synth",
    "mix_sting",
    "duck_envelope",
    "RATE",
]
