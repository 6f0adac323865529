"""Sounds of events, made with numpy from noise and sines (no sample files), and mixed
into the background's own soundtrack at the instant they happen.

Each sound is a short recipe: a thud is a low sine whose pitch drops as it dies away,
a clink a few inharmonic partials ringing down, a crack a cluster of tiny noise bursts,
a splash a band of noise with drops ticking after it, a fizz a crackle of bubbles, a
whoosh a swell of low noise. A little room echo is added to all of them. Loudness is set
against the background's: from a barely-there tap to a bang well over the room's noise.
"""

from __future__ import annotations

import math

import numpy as np

from tools.eventgen.events import Hit

# Level of an event's loudest sound, in dB over the background's RMS level, by sound:
# impacts stand out over the room (real drops and falls: 20-30 dB over a quiet room's
# typical level); splashes, fizzing and flames are softer.
LEVEL_DB = {
    "thud": (0.0, 26.0),
    "clink": (0.0, 22.0),
    "crack": (-3.0, 16.0),
    "splash": (-6.0, 10.0),
    "fizz": (-18.0, -3.0),
    "whoosh": (-8.0, 8.0),
}
# Share of events of each kind whose sound is not added (too far, masked, or quiet).
SILENT = {"fall": 0.2, "knock": 0.2, "splash": 0.4, "foam": 0.6, "flame": 0.4}
# A soundtrack quieter than this RMS (-120 dBFS: digital silence, a muted recording)
# stays silent, as real footage with such a track does. Quiet rooms are far louder: the
# fall-dataset webcams record at -65 to -82 dBFS, their thuds 20-35 dB over that.
SILENT_RMS = 1e-6
# A sound's peak sits this far over its RMS-matched level: impacts are peaky.
CREST = 3.0
# Nothing mixed in exceeds this peak, so a loud bang clips no more than a phone would.
MAX_PEAK = 0.9


def band(x: np.ndarray, rate: int, lo: float, hi: float) -> np.ndarray:
    """``x`` filtered to roughly lo..hi Hz (fourth-order slopes, in the frequency domain)."""
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(x.size, 1 / rate)
    f[0] = 1e-3
    gain = 1 / (1 + (lo / f) ** 4) / (1 + (f / hi) ** 4)
    return np.fft.irfft(spec * gain, x.size)


def _env(n: int, rate: int, decay: float, attack: float = 0.001) -> np.ndarray:
    t = np.arange(n) / rate
    return np.minimum(t / attack, 1.0) * np.exp(-t / decay)


def synth(hit: Hit, rate: int, rng: np.random.Generator) -> np.ndarray:
    """One ``hit`` as mono samples at ``rate`` Hz, peak 1."""
    kind = hit.sound
    if kind == "thud":
        n = int(rate * 0.4)
        t = np.arange(n) / rate
        f0 = rng.uniform(55, 140)
        freq = f0 * (1 + 1.5 * np.exp(-t / 0.01))  # the pitch drops as it dies away
        body = np.sin(2 * np.pi * np.cumsum(freq) / rate) * _env(n, rate, rng.uniform(0.04, 0.15))
        knock = band(rng.normal(0, 1, n), rate, 200, 3000) * _env(
            n, rate, rng.uniform(0.004, 0.015)
        )
        x = body + rng.uniform(0.2, 0.6) * knock / max(np.abs(knock).max(), 1e-9)
    elif kind == "clink":
        n = int(rate * 0.6)
        t = np.arange(n) / rate
        f0 = rng.uniform(900, 3000)
        x = np.zeros(n)
        # Partials of a struck bar or cup: inharmonic ratios, higher ones dying sooner.
        for ratio, amp, dk in ((1, 1, 1), (2.76, 0.5, 0.7), (5.4, 0.3, 0.5), (8.93, 0.15, 0.35)):
            f = f0 * ratio * rng.uniform(0.98, 1.02)
            if f < rate / 2:
                x += (
                    amp
                    * np.sin(2 * np.pi * f * t + rng.uniform(0, 6.3))
                    * np.exp(-t / (rng.uniform(0.08, 0.4) * dk))
                )
        x *= np.minimum(t / 0.0005, 1)
        x += 0.3 * rng.normal(0, 1, n) * _env(n, rate, 0.002)
    elif kind == "crack":
        n = int(rate * 0.25)
        x = np.zeros(n)
        for _ in range(int(rng.integers(2, 5))):  # the shell breaking in a few places
            at = int(rng.uniform(0, 0.02) * rate)
            burst = band(rng.normal(0, 1, n - at), rate, 1000, 6000)
            x[at:] += burst * _env(n - at, rate, rng.uniform(0.002, 0.006)) * rng.uniform(0.5, 1)
        x += 0.5 * band(rng.normal(0, 1, n), rate, 80, 600) * _env(n, rate, 0.04)
    elif kind == "splash":
        n = int(rate * (hit.length + 0.4))
        x = band(rng.normal(0, 1, n), rate, 400, 4000) * _env(
            n, rate, rng.uniform(0.1, 0.35), 0.005
        )
        for _ in range(int(rng.integers(3, 12))):  # drops coming down after it
            at = int(rng.uniform(0.05, max(hit.length, 0.1)) * rate)
            m = min(int(0.02 * rate), n - at)
            x[at : at + m] += rng.uniform(0.1, 0.4) * band(rng.normal(0, 1, m), rate, 1500, 6000)
    elif kind == "fizz":
        n = int(rate * max(hit.length, 0.3))
        ramp = np.linspace(0, 1, n) ** 2  # louder as it boils up
        x = band(rng.normal(0, 1, n), rate, 2000, 7000) * 0.3 * ramp
        pops = np.zeros(n)
        idx = rng.integers(0, n, int(hit.length * 60))  # ~60 bubbles bursting a second
        pops[idx] = rng.uniform(-1, 1, idx.size)
        x += band(pops, rate, 1000, 6000) * 3 * ramp
    else:  # whoosh
        n = int(rate * (hit.length + 0.5))
        t = np.arange(n) / rate
        swell = np.minimum(t / 0.08, 1) * np.exp(-np.maximum(t - hit.length, 0) / 0.15)
        x = band(rng.normal(0, 1, n), rate, 60, 900) * swell
    x = x.astype(np.float64)
    return x / max(float(np.abs(x).max()), 1e-9)


def room(x: np.ndarray, rate: int, rng: np.random.Generator) -> np.ndarray:
    """``x`` with a short room echo: a 20-80 ms decaying noise tail, 10-30 % wet."""
    n = int(rate * 0.25)
    tail = rng.normal(0, 1, n) * np.exp(-np.arange(n) / (rate * rng.uniform(0.02, 0.08)))
    tail /= np.sqrt((tail**2).sum())
    size = x.size + n
    fast = 1 << (size - 1).bit_length()  # a power of two: a quick transform
    wet = np.fft.irfft(np.fft.rfft(x, fast) * np.fft.rfft(tail, fast), fast)[:size]
    out = np.concatenate([x, np.zeros(n)]) + rng.uniform(0.1, 0.3) * wet
    return out / max(float(np.abs(out).max()), 1e-9)


def mix(audio: np.ndarray, rate: int, hits: list[Hit], at: float, kind: str,
        rng: np.random.Generator) -> None:  # fmt: skip
    """Mix the sounds of ``hits`` (times from ``at`` s into the clip) of an event of
    ``kind`` into ``audio`` (samples, channels) in place, or, now and then, nothing."""
    if not hits or rng.random() < SILENT.get(kind, 0.0):
        return
    level = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
    if level < SILENT_RMS:
        return
    loudest = max(hits, key=lambda h: h.strength).sound
    lo, hi = LEVEL_DB[loudest]
    peak = min(level * CREST * 10 ** (rng.uniform(lo, hi) / 20), MAX_PEAK)
    pan = rng.uniform(-0.6, 0.6)
    gains = [math.cos((pan + 1) * math.pi / 4) * math.sqrt(2),
             math.sin((pan + 1) * math.pi / 4) * math.sqrt(2)]  # fmt: skip
    channels = audio.shape[1]
    for hit in hits:
        x = room(synth(hit, rate, rng), rate, rng) * peak * hit.strength
        start = int(round((at + hit.t) * rate))
        if start >= audio.shape[0] or start + x.size <= 0:
            continue
        lo_i = max(start, 0)
        hi_i = min(start + x.size, audio.shape[0])
        piece = x[lo_i - start : hi_i - start]
        for c in range(channels):
            g = gains[c] if channels == 2 else 1.0
            audio[lo_i:hi_i, c] += (g * piece).astype(np.float32)
    np.clip(audio, -1.0, 1.0, out=audio)
