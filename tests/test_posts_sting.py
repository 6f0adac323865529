"""Stings: made the same every time, laid in on time, the clip's loudness kept."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import numpy as np
import pytest

from clipkit.errors import PresetError
from clipkit.media.audio import _ebur128, measure_file
from clipkit.media.ffmpeg import ffmpeg_exe
from clipkit.render.bs1770 import integrated_loudness
from clipkit.render.sting import (
    DUCK_FADE,
    STINGS,
    duck_envelope,
    get_sting,
    mix_sting,
    synth,
    write_wav,
)

RATE = 48000
FRAME = 1 / 30  # the tolerance: one frame of a 30 fps clip


def kitchen(seconds: float = 6.0, rate: int = RATE) -> np.ndarray:
    return _kitchen(seconds, rate).copy()


@functools.lru_cache(maxsize=4)
def _kitchen(seconds: float, rate: int) -> np.ndarray:
    """A stereo kitchen bed: hiss, a fridge's hum and a clatter at 1 s (seeded)."""
    rng = np.random.default_rng(3)
    t = np.arange(int(seconds * rate)) / rate
    hum = 0.08 * np.sin(2 * np.pi * 120 * t)
    bed = np.stack([hum + 0.03 * rng.standard_normal(t.size) for _ in range(2)], axis=1)
    after = np.clip(t - 1.0, 0.0, None)
    clatter = (t >= 1.0) * rng.standard_normal(t.size) * np.exp(-after * 20)
    return bed + 0.5 * clatter[:, None]


def ebur128(x: np.ndarray, rate: int = RATE) -> float:
    """Integrated loudness by ffmpeg's ebur128 filter (independent of clipkit's own)."""
    x = x.reshape(len(x), -1)
    raw = ["-f", "f32le", "-ar", str(rate), "-ac", str(x.shape[1]), "-i", "-"]
    measure = ["-af", "ebur128=peak=true", "-f", "null", "-"]
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostats", *raw, *measure]
    res = subprocess.run(cmd, input=x.astype("<f4").tobytes(), capture_output=True, check=True)
    return _ebur128(res.stderr.decode(), "test")[0]


def onset(x: np.ndarray, near: float, rate: int = RATE, search: float = 0.25) -> float:
    """The first time within ``search`` s of ``near`` where new sound appears: in 5 ms
    Hann windows (hop 1 ms), the energy of the frequency bins standing 6 dB over their
    median of the 10-60 ms before exceeds that whole median spectrum's energy. An onset
    detector that knows nothing of the sting."""
    mono = x.reshape(len(x), -1).sum(axis=1)
    win, hop = int(0.005 * rate), int(0.001 * rate)
    lo, hi = int((near - search) * rate), int((near + search) * rate)
    starts = np.arange(max(0, lo - 60 * hop), min(len(mono) - win, hi), hop)
    frames = mono[starts[:, None] + np.arange(win)] * np.hanning(win)
    spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    for k in range(60, len(starts)):
        base = np.median(spec[k - 60 : k - 10], axis=0)
        new = spec[k][spec[k] > 4 * base].sum()
        if new > base.sum():
            return float((starts[k] + win / 2) / rate)
    raise AssertionError(f"no onset within {search} s of {near} s")


@pytest.mark.parametrize("name", list(STINGS))
def test_stings_are_deterministic_short_and_distinct(name: str) -> None:
    a, b = synth(name), synth(name)
    assert np.array_equal(a, b)
    assert np.isfinite(a).all() and 0.3 <= len(a) / RATE <= 2.5
    assert np.abs(a).max() == pytest.approx(0.9)
    assert np.abs(a[: int(0.01 * RATE)]).max() > 0.05  # the attack is at its start
    others = [synth(n) for n in STINGS if n != name]
    assert all(len(o) != len(a) or not np.allclose(o, a) for o in others)
    assert len(synth(name, 44100)) == pytest.approx(len(a) * 44100 / RATE, abs=1)


def test_unknown_sting_lists_choices_with_a_suggestion() -> None:
    with pytest.raises(PresetError) as e:
        get_sting("boink")
    msg = str(e.value)
    assert "did you mean 'boing'" in msg
    assert all(n in msg for n in STINGS)
    assert get_sting("Sad Trombone").name == "sad-trombone"
    assert get_sting("record_scratch").name == "record-scratch"


def test_duck_envelope_is_smooth_and_reaches_its_levels() -> None:
    g = duck_envelope(RATE * 3, RATE, 1.0, 1.5, -10.0)
    assert np.abs(np.diff(g)).max() < 2e-3  # no step: no click
    assert g[0] == 1.0 and g[-1] == 1.0
    held = g[int(1.0 * RATE) : int(1.5 * RATE)]
    assert np.allclose(held, 10 ** (-10 / 20))
    assert g[int((1.0 - DUCK_FADE - 0.001) * RATE)] == 1.0


BED_LUFS = -19.1  # the kitchen bed, by ebur128 (test_clipkit_loudness_agrees_with_ffmpeg)


def test_onset_detector_finds_the_clatter_and_nothing_in_the_bed() -> None:
    bed = kitchen()
    assert abs(onset(bed, 1.0) - 1.0) < 0.005
    for quiet in (0.5, 2.0, 4.5):
        with pytest.raises(AssertionError):
            onset(bed, quiet)


@pytest.mark.parametrize("name", list(STINGS))
@pytest.mark.parametrize("at", [2.5, 3.217])
@pytest.mark.parametrize("level", [0.0, -6.0])
def test_onset_lands_at_the_time_and_loudness_is_kept(name: str, at: float, level: float) -> None:
    bed = kitchen()
    mixed = mix_sting(bed, RATE, synth(name), at, level=level)
    # Measured: 0.5-12.5 ms late at 0 LU, up to 15.5 ms (the whoosh's 30 ms swell) at -6.
    assert abs(onset(mixed, at) - at) < FRAME
    assert abs(ebur128(mixed) - BED_LUFS) < 1.0  # measured: 0.1 LU at most
    # Before the ducking the clip is untouched but for one gain.
    before = slice(0, int(2.0 * RATE))
    ratio = mixed[before] / bed[before]
    assert np.allclose(ratio, ratio[0, 0], rtol=1e-9)


def test_mix_reaches_a_given_target_and_keeps_mono_shape() -> None:
    bed = kitchen()[:, 0]
    mixed = mix_sting(bed, RATE, synth("boing"), 1.8, target=-14.0, level=3.0)
    assert mixed.shape == bed.shape
    assert abs(ebur128(mixed) + 14.0) < 1.0
    assert abs(integrated_loudness(mixed, RATE) + 14.0) < 0.01


def test_sting_over_silence_and_past_the_end() -> None:
    silence = np.zeros((RATE * 3, 2))
    mixed = mix_sting(silence, RATE, synth("sad-trombone"), 0.5, target=-16.0)
    assert abs(ebur128(mixed) + 16.0) < 1.0
    cut = mix_sting(kitchen(2.0), RATE, synth("sad-trombone"), 1.9)  # runs past the end
    assert cut.shape == (2 * RATE, 2) and np.isfinite(cut).all()
    early = mix_sting(kitchen(2.0), RATE, synth("boing"), -0.2)  # a peak before the clip
    assert abs(onset(np.vstack([np.zeros((RATE, 2)), early]), 1.0) - 1.0) < FRAME


def test_clipkit_loudness_agrees_with_ffmpeg() -> None:
    bed = kitchen()
    assert abs(integrated_loudness(bed, RATE) - ebur128(bed)) < 0.1
    assert ebur128(bed) == BED_LUFS


def test_mix_written_as_float_wav_keeps_peaks_and_loudness(tmp_path: Path) -> None:
    mixed = mix_sting(kitchen(), RATE, synth("record-scratch"), 2.0, target=-8.0, level=6.0)
    assert np.abs(mixed).max() > 1.0  # over full scale: kept for the render's limiter
    path = write_wav(tmp_path / "mix.wav", mixed, RATE)
    loud, _peak = measure_file(path)  # clipkit's own measurement, through ffmpeg
    assert abs(loud + 8.0) < 0.2
    assert [p.name for p in tmp_path.iterdir()] == ["mix.wav"]


def test_the_stings_made_are_the_stings_named() -> None:
    """Presets and plans check sting names against clipkit.options (they come before
    the stage that makes them): the two lists are one."""
    from clipkit.options import STING_NAMES

    assert tuple(STINGS) == STING_NAMES


# What each sting sounds like, measured: the properties its name promises (a boing's
# slowing wobble, a whoosh's sweep, a scratch's strokes, the trombone's four falling
# semitones) and those every sound laid into a clip needs (no clicks, headroom, no
# offset, nothing aliased, the loud part at the start, where the mix puts the hit).


def _frames(x: np.ndarray, size: int, hop: int) -> np.ndarray:
    count = 1 + max(0, (len(x) - size) // hop)
    return x[np.arange(count)[:, None] * hop + np.arange(size)]


def _level_db(x: np.ndarray, win: float) -> np.ndarray:
    """The level (dB re full scale, mean square) of ``x`` in back-to-back windows."""
    f = _frames(x, int(win * RATE), int(win * RATE))
    return 10 * np.log10(np.mean(f * f, axis=1) + 1e-20)


def _f0(seg: np.ndarray, fmin: float, fmax: float) -> float:
    """The fundamental (Hz) of ``seg`` by autocorrelation: the shortest lag in range
    whose peak is within 15% of the highest (not an octave down), interpolated."""
    seg = (seg - seg.mean()) * np.hanning(len(seg))
    n = 1 << int(np.ceil(np.log2(2 * len(seg))))
    r = np.fft.irfft(np.abs(np.fft.rfft(seg, n)) ** 2, n)[: len(seg)]
    lo, hi = int(RATE / fmax), int(RATE / fmin) + 1
    w = r[lo:hi] / r[0]
    peaks = [i for i in range(1, len(w) - 1) if w[i - 1] <= w[i] > w[i + 1]]
    assert peaks, "no periodicity"
    best = max(w[i] for i in peaks)
    i = next(i for i in peaks if w[i] >= 0.85 * best)
    a, b, c = w[i - 1], w[i], w[i + 1]
    return float(RATE / (lo + i + 0.5 * (a - c) / (a - 2 * b + c)))


def _f0_track(x: np.ndarray, step: float, win: float, fmin: float, fmax: float) -> np.ndarray:
    return np.array([_f0(f, fmin, fmax) for f in _frames(x, int(win * RATE), int(step * RATE))])


def _centroid(x: np.ndarray, win: float) -> tuple[np.ndarray, np.ndarray]:
    """Spectral centroid (Hz) and level (dB re the loudest) of Hann windows at half
    overlap."""
    size = int(win * RATE)
    p = np.abs(np.fft.rfft(_frames(x, size, size // 2) * np.hanning(size), axis=1)) ** 2
    energy = p.sum(axis=1)
    hz = np.fft.rfftfreq(size, 1 / RATE)
    return (p @ hz) / np.maximum(energy, 1e-30), 10 * np.log10(energy / energy.max() + 1e-30)


def _swings(octaves: np.ndarray, least: float) -> tuple[int, int]:
    """How many times ``octaves`` rises, and falls, by ``least`` or more between two
    turns (each leg counted once, however far it goes)."""
    rises = falls = 0
    going = 0  # 1 up, -1 down, 0 not known yet
    low = high = octaves[0]  # since the last turn
    for v in octaves[1:]:
        low, high = min(low, v), max(high, v)
        if going != 1 and v - low >= least:
            rises, going, high = rises + 1, 1, v
        elif going != -1 and high - v >= least:
            falls, going, low = falls + 1, -1, v
    return rises, falls


def _notes(x: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) s of the stretches of ``x`` louder than 20 dB under its loudest,
    in 10 ms windows: its notes, when they are articulated apart."""
    on = _level_db(x, 0.01) > _level_db(x, 0.01).max() - 20
    edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(int), [0]])))
    return [(a * 0.01, b * 0.01) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _flaws(x: np.ndarray, rate: int = RATE) -> list[str]:
    """What would spoil ``x`` laid into a clip's sound, each with its figure."""
    flaws = []
    # A click where it is laid in or where it stops: a step at either end.
    if max(abs(x[0]), abs(x[1]), abs(x[-2]), abs(x[-1])) > 0.01:
        flaws.append(f"ends not faded: {x[:2]}, {x[-2:]}")
    # No headroom, counting the peaks between samples (4x oversampled).
    over = np.fft.irfft(np.fft.rfft(x), 4 * len(x)) * 4
    if 20 * np.log10(np.abs(over).max()) >= -0.5:
        flaws.append(f"true peak {20 * np.log10(np.abs(over).max()):.2f} dBFS")
    if abs(np.mean(x)) > 1e-4 * np.abs(x).max():
        flaws.append(f"offset {np.mean(x):.2g}")
    power = np.abs(np.fft.rfft(x)) ** 2
    hz = np.fft.rfftfreq(len(x), 1 / rate)
    rumble = power[hz < 20].sum() / power.sum()
    if rumble > 1e-4:
        flaws.append(f"rumble under 20 Hz: {10 * np.log10(rumble):.0f} dB")
    # Aliasing: a partial folded back over the Nyquist frequency leaves energy next to
    # it (a naive sawtooth does); a sting makes nothing past 0.45 of the rate.
    top = power[hz > 0.45 * rate].sum() / power.sum()
    if top > 1e-6:
        flaws.append(f"energy by Nyquist: {10 * np.log10(top):.0f} dB")
    # Its loud part at its start, where the mix puts the peak: half its loudest level
    # (-6 dB, 5 ms RMS) within a frame of a 30 fps clip.
    level = _level_db(x, 0.005)
    if np.argmax(level >= level.max() - 6) * 0.005 >= FRAME:
        flaws.append(f"loud only at {np.argmax(level >= level.max() - 6) * 0.005:.3f} s")
    return flaws


@pytest.mark.parametrize("name", list(STINGS))
def test_sting_is_clean_to_lay_in(name: str) -> None:
    assert _flaws(synth(name)) == []
    assert _flaws(synth(name, 44100), 44100) == []


def test_flaws_are_found() -> None:
    """Each check of _flaws finds what it looks for (a check that passed everything
    would pass the stings too): a plucked tone passes, each spoilt copy is caught."""
    t = np.arange(RATE // 2) / RATE
    struck = np.minimum(t / 0.002, 1.0) * np.exp(-t / 0.2)
    env = struck * np.clip((t[-1] - t) / 0.01, 0.0, 1.0)
    tone = 0.9 * np.sin(2 * np.pi * 440 * t) * env
    assert _flaws(tone) == []
    saw = 2 * ((440 * t) % 1.0) - 1  # naive: its harmonics past 24 kHz fold back
    broken = {
        "ends not faded": 0.9 * np.cos(2 * np.pi * 440 * t) * struck,
        "true peak": tone / 0.9,
        "offset": tone + 0.01 * env,
        "rumble": tone + 0.05 * np.sin(2 * np.pi * 8 * t) * env,
        "energy by Nyquist": 0.5 * saw * env,
        "loud only at": tone * np.clip(t / 0.25, 0.0, 1.0),
    }
    for flaw, x in broken.items():
        assert any(f.startswith(flaw) for f in _flaws(x)), (flaw, _flaws(x))


def test_boing_wobbles_and_the_wobble_slows_and_narrows() -> None:
    x = synth("boing")[: int(0.65 * RATE)]  # (before it fades out)
    f0 = _f0_track(x, 0.0025, 0.0125, 120, 700)
    t = np.arange(len(f0)) * 0.0025 + 0.00625
    st = 12 * np.log2(f0 / np.median(f0))
    early, late = np.ptp(st[t < 0.2]), np.ptp(st[(t > 0.4) & (t < 0.6)])
    assert early > 6 and late < early / 2  # measured: 10.5 and 3.6 semitones
    smooth = np.convolve(st, np.ones(3) / 3, "same")
    tops = [
        t[i]
        for i in range(1, len(t) - 1)
        if smooth[i - 1] < smooth[i] >= smooth[i + 1] and smooth[i] > 0.1
    ]
    gaps = np.diff(tops)
    assert len(gaps) >= 4 and gaps[-1] > 1.5 * gaps[0]  # measured: 63 ms, then 135 ms


def test_whoosh_sweeps_over_an_octave_swelling_then_falling() -> None:
    x = synth("whoosh")
    assert 0.3 <= len(x) / RATE <= 0.8
    hz, level = _centroid(x, 0.01)
    loud = level > -20
    assert np.log2(hz[loud].max() / hz[loud].min()) >= 1.0  # measured: 2.45 octaves
    top = np.argmax(np.where(loud, hz, 0)) * 0.005
    assert 0.02 < top < 0.2  # it sweeps up, then down (highest at 55 ms)
    db = _level_db(x, 0.01)
    assert 0 < np.argmax(db) * 0.01 < 0.1 and db.max() - db[-3] > 30  # swells, falls
    # Noise, not a cluster of sines: no gaps in its band (bins 20 dB under the band's
    # median: measured 1% of them, 16-37% in a sum of 160 sines).
    seg = x[int(0.05 * RATE) :][:4096] * np.hanning(4096)
    power = np.abs(np.fft.rfft(seg)) ** 2
    hz = np.fft.rfftfreq(4096, 1 / RATE)
    mid = (power @ hz) / power.sum()
    band = power[(hz > mid / 1.5) & (hz < mid * 1.5)]
    assert np.mean(band < np.median(band) / 100) < 0.05


def test_record_scratch_is_harsh_and_its_pitch_goes_up_and_down() -> None:
    x = synth("record-scratch")
    assert 0.2 <= len(x) / RATE <= 0.5
    hz, level = _centroid(x, 0.01)
    octaves = np.convolve(np.log2(hz), np.ones(3) / 3, "valid")  # over 20 ms
    rises, falls = _swings(octaves[level[1:-1] > -25], 1.0)
    assert rises >= 3 and falls >= 3  # measured: 4 and 5 (5 strokes)
    power = np.abs(np.fft.rfft(x)) ** 2
    bright = power[np.fft.rfftfreq(len(x), 1 / RATE) > 4000].sum() / power.sum()
    assert bright > 10 ** (-15 / 10)  # noisy: measured -9 dB over 4 kHz


def test_sad_trombone_falls_four_semitones_the_last_long_and_wobbling() -> None:
    x = synth("sad-trombone")
    assert 2.0 <= len(x) / RATE <= 2.5
    notes = _notes(x)
    assert len(notes) == 4
    lengths = [b - a for a, b in notes]
    assert min(lengths[:3]) > 0.2 and lengths[3] > 2 * max(lengths[:3])
    f0 = [_f0(x[int((a + 0.1) * RATE) : int((a + 0.3) * RATE)], 150, 500) for a, _ in notes]
    steps = 1200 * np.log2(np.array(f0[:-1]) / np.array(f0[1:]))
    assert np.all(np.abs(steps - 100) < 40), steps  # measured: 100, 100, 99 cents
    # Brassy: rich in odd and even harmonics, bright (the centroid over 3 harmonics up).
    a, _ = notes[0]
    seg = x[int((a + 0.12) * RATE) :][:8192] * np.hanning(8192)
    mag = np.abs(np.fft.rfft(seg))
    hz = np.fft.rfftfreq(8192, 1 / RATE)
    harmonics = np.array([mag[np.abs(hz - k * f0[0]) < 10].max() for k in range(1, 11)])
    assert np.sum(harmonics > harmonics.max() / 10) >= 8  # within 20 dB (measured: 10)
    assert (mag**2 @ hz) / (mag**2).sum() > 3 * f0[0]  # measured: 4.0
    # The waaah: its pitch wobbles over a quarter tone once the vibrato is wide.
    a, b = notes[3]
    cents = 1200 * np.log2(_f0_track(x[int(a * RATE) : int(b * RATE)], 0.005, 0.03, 150, 500))
    t = np.arange(len(cents)) * 0.005 + 0.015
    assert np.ptp(cents[(t > 0.6) & (t < 1.0)]) > 30  # measured: 55 cents
