"""A scene's sound: room tone, the work's taps and scrapes, the mishaps' impacts and
splashes, and handling noise while the hand is at the lens."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np

from tools.samplegen.scene import DROP_KEEP, LIGHT_OFF, SPILL_TIP, SceneSpec, cover_at, drop_impacts

SAMPLE_RATE = 48_000


def _band(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Band-pass by zeroing FFT bins: crude, but these are noises, not music."""
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)
    spec[(f < lo) | (f > hi)] = 0
    return np.fft.irfft(spec, len(x)).astype(np.float32)


def _decay(seconds: float, tau: float) -> np.ndarray:
    return np.exp(-np.arange(int(seconds * SAMPLE_RATE)) / (tau * SAMPLE_RATE)).astype(np.float32)


def _ring(rng: np.random.Generator, freqs: list[float], seconds: float, tau: float) -> np.ndarray:
    """Decaying partials: knocks, clinks and clangs."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    out = sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) / (1 + i) for i, f in enumerate(freqs))
    return (np.asarray(out) * _decay(seconds, tau)).astype(np.float32)


def _burst(
    rng: np.random.Generator, seconds: float, lo: float, hi: float, tau: float
) -> np.ndarray:
    noise = _band(rng.standard_normal(int(seconds * SAMPLE_RATE)).astype(np.float32), lo, hi)
    return noise / (np.abs(noise).max() + 1e-9) * _decay(seconds, tau)


def _add(track: np.ndarray, t: float, sound: np.ndarray, level: float) -> None:
    i = int(round(t * SAMPLE_RATE))
    if i >= len(track) or i + len(sound) <= 0:
        return
    seg = sound[max(0, -i) : len(track) - i]
    track[max(0, i) : max(0, i) + len(seg)] += level * seg


def _work_sounds(spec: SceneSpec, track: np.ndarray, rng: np.random.Generator) -> None:
    """Quiet knife taps and spoon scrapes for as long as the work goes on."""
    n = len(track)
    t = np.arange(n) / SAMPLE_RATE
    scrape = _band(rng.standard_normal(n).astype(np.float32), 900, 3500)
    scrape /= np.abs(scrape).max() + 1e-9
    for shot in spec.shots:
        if shot.work == "stir":
            on = (t >= shot.start) & (t < shot.end)
            env = 0.5 + 0.5 * np.sin(2 * np.pi * t / 1.3) ** 2
            track[on] += 0.05 * scrape[on] * env[on]
        elif shot.work == "chop":
            k = math.ceil(shot.start * 2.6)
            while k / 2.6 < shot.end:
                _add(track, k / 2.6, _ring(rng, [1800, 3100, 4700], 0.06, 0.012), 0.09)
                _add(track, k / 2.6, _burst(rng, 0.05, 1000, 6000, 0.008), 0.05)
                k += 1


def _event_sounds(spec: SceneSpec, track: np.ndarray, rng: np.random.Generator) -> None:
    """Impacts, clinks and splashes at the mishaps; a click and a clang for the negatives."""
    for h in spec.happenings:
        if h.kind == "drop":
            for i, t in enumerate(drop_impacts()):
                level = 0.55 * DROP_KEEP**i
                _add(track, h.start + t, _ring(rng, [95, 240, 610, 1330], 0.35, 0.07), level)
                _add(track, h.start + t, _burst(rng, 0.2, 150, 5000, 0.02), level)
        elif h.kind == "spill":
            hit = h.start + SPILL_TIP
            _add(track, hit, _ring(rng, [2300, 3900, 5600], 0.4, 0.08), 0.35)
            _add(track, hit + 0.02, _burst(rng, 0.8, 400, 7000, 0.18), 0.45)
        elif h.kind == "light":
            for t in (h.start, h.start + LIGHT_OFF):
                _add(track, t - 0.02, _burst(rng, 0.03, 2000, 8000, 0.004), 0.2)
        elif h.kind == "loud":  # a pan lid clatters somewhere off screen
            _add(track, h.start, _ring(rng, [310, 720, 1170, 1930, 2650], 0.9, 0.25), 0.6)
            _add(track, h.start, _burst(rng, 0.3, 500, 8000, 0.05), 0.5)


def mix_audio(spec: SceneSpec, duration: float | None = None) -> np.ndarray:
    """The scene's mono sound, float32 in -1..1 at SAMPLE_RATE."""
    duration = spec.duration if duration is None else duration
    rng = np.random.default_rng([spec.seed, 7])
    n = int(duration * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    room = _band(rng.standard_normal(n).astype(np.float32), 40, 2500)
    track = 0.008 * room / (room.std() + 1e-9) + 0.003 * np.sin(2 * np.pi * 100 * t)
    track = track.astype(np.float32)
    _work_sounds(spec, track, rng)
    _event_sounds(spec, track, rng)
    rumble = _band(rng.standard_normal(n).astype(np.float32), 30, 500)
    coarse = np.array([cover_at(spec, x) for x in t[:: SAMPLE_RATE // 100]])
    cover = np.repeat(coarse, SAMPLE_RATE // 100)[:n]
    hand = cover * (1 - cover) * 4  # handling noise while the hand moves
    track += 0.06 * rumble / (rumble.std() + 1e-9) * hand.astype(np.float32)
    return np.clip(track, -1, 1)


def write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes((samples * 32767).astype("<i2").tobytes())
