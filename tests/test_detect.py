"""Peak picking on hand-written series: no video involved."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from clipkit.detect import CHUNK, DetectOptions, Moment, detect, detect_with_notes, smooth
from clipkit.signals import Signals

FPS = 30.0
CELLS = 48


def make(
    duration: float = 20.0,
    bursts: tuple[tuple[float, float], ...] = (),
    *,
    level: float = 0.4,
    camera: tuple[float, float] | None = None,
    dark: tuple[float, float] | None = None,
    sustained: bool = False,
    sound_at: tuple[float, ...] = (),
) -> Signals:
    """A still scene with mild noise; bursts of local motion in a few grid cells."""
    rng = np.random.default_rng(0)
    t = np.arange(0, duration, 1 / FPS)
    cells = rng.uniform(0.0, 0.01, (t.size, CELLS))
    if sustained:  # chopping in cells 0-5: fast, steady work all the time
        cells[:, :6] += 0.3 + 0.1 * np.sin(2 * np.pi * 3 * t)[:, None]
    for a, b in bursts:
        cells[(t >= a) & (t < b), 20:26] += level
    cam = np.zeros(t.size)
    if camera:
        cam[(t >= camera[0]) & (t < camera[1])] = 1.0
    bright = np.full(t.size, 0.5)
    if dark:
        bright[(t >= dark[0]) & (t < dark[1])] = 0.1
    audio_t = np.arange(0, duration, 0.02)
    onset = rng.uniform(0, 1.0, audio_t.size)
    for s in sound_at:
        onset[np.abs(audio_t - s) < 0.03] = 30.0
    z = np.zeros(t.size)
    return Signals(
        duration=duration, t=t, motion=cells.mean(axis=1), camera=cam, cut=z,
        brightness=bright, coverage=z, sharpness=z + 1, motion_x=z + 0.5, motion_y=z + 0.5,
        audio_t=audio_t, audio_rms=np.full(audio_t.size, -40.0), audio_onset=onset,
        change=np.full(t.size, 0.01), cam_conf=z + 1, cells=cells,
    )  # fmt: skip


def test_burst_over_baseline_is_found() -> None:
    [m] = detect(make(bursts=((10.0, 10.8),)))
    assert isinstance(m, Moment)
    assert 10.0 <= m.peak <= 10.8
    assert m.start <= m.peak <= m.end
    assert 0.5 <= m.score <= 1.0
    assert m.reasons == ("motion",)
    assert m.to_dict()["reasons"] == ["motion"]


def test_still_footage_gives_nothing() -> None:
    assert detect(make()) == []


def test_sustained_motion_is_not_a_moment() -> None:
    assert detect(make(sustained=True)) == []


def test_burst_on_top_of_sustained_work_elsewhere_is_found() -> None:
    [m] = detect(make(sustained=True, bursts=((10.0, 10.8),)))
    assert 10.0 <= m.peak <= 10.8


def test_burst_during_camera_motion_is_suppressed() -> None:
    assert detect(make(bursts=((10.0, 10.8),), camera=(9.5, 11.5))) == []


def test_burst_with_a_lighting_change_is_suppressed() -> None:
    assert detect(make(bursts=((10.0, 10.8),), dark=(10.0, 12.0))) == []


def test_burst_at_start_or_end_is_suppressed() -> None:
    assert detect(make(bursts=((0.0, 0.8), (19.4, 20.0)))) == []


def test_single_frame_glitch_is_not_a_moment() -> None:
    assert detect(make(bursts=((10.0, 10.0 + 1 / FPS),), level=0.9)) == []


def steppy(sig: Signals, every: int) -> Signals:
    """``sig`` as CCTV records it: the picture changes on every ``every``-th frame only,
    and the frames in between repeat it (no change at all)."""
    shown = np.arange(sig.t.size) % every == 0
    cells = np.where(shown[:, None], sig.cells, 0.0)
    return dataclasses.replace(
        sig, cells=cells, motion=cells.mean(axis=1), change=np.where(shown, 0.01, 0.0)
    )


@pytest.mark.parametrize("every", [3, 10, 12])  # 10, 3 and 2.5 updates a second
def test_burst_in_footage_that_updates_a_few_times_a_second_is_one_moment(every: int) -> None:
    # A 1 s fall seen in three or four picture updates is one burst, not single frames.
    found = detect_with_notes(steppy(make(bursts=((10.0, 11.0),)), every))
    [m] = found.moments
    assert 9.6 <= m.peak <= 11.4
    assert found.rejected == ()
    # ...while one update that differs alone is still a glitch, at any update rate.
    glitch = steppy(make(bursts=((10.0, 10.0 + 1 / FPS),), level=0.9), every)
    assert detect(glitch) == []


@pytest.mark.parametrize(
    ("kw", "why"),
    [
        ({"bursts": ((10.0, 10.8),), "camera": (9.5, 11.5)}, "the camera moves"),
        ({"bursts": ((10.0, 10.8),), "dark": (10.0, 12.0)}, "the light changes"),
        ({"bursts": ((0.0, 0.8),)}, "start of the recording"),
        ({"bursts": ((19.4, 20.0),)}, "end of the recording"),
        ({"bursts": ((10.0, 10.0 + 1 / FPS),), "level": 0.9}, "only one frame stood out"),
    ],
)
def test_a_rejected_burst_says_why(kw: dict, why: str) -> None:
    found = detect_with_notes(make(**kw))
    assert found.moments == []
    [r] = found.rejected
    assert r.why.startswith(why)
    assert r.start <= r.peak <= r.end and 0.0 < r.score < 1.0


def test_moments_left_out_by_min_gap_or_max_moments_are_rejected() -> None:
    sig = make(duration=40.0, bursts=((8.0, 8.6), (10.0, 10.6), (20.0, 20.6), (30.0, 30.6)))
    gap = detect_with_notes(sig)
    assert len(gap.moments) == 3
    [r] = gap.rejected  # 8 s and 10 s are closer than the default 3 s gap
    assert r.why == "within --min-gap 3 s of a stronger moment"
    assert 8.0 <= r.peak <= 10.6
    most = detect_with_notes(sig, DetectOptions(min_gap=1.0, max_moments=2))
    assert len(most.moments) == 2
    assert [r.why for r in most.rejected] == ["more than --max-moments 2 in this file"] * 2
    peaks = [r.peak for r in most.rejected]
    assert peaks == sorted(peaks)  # in time order
    assert detect_with_notes(sig, DetectOptions(min_gap=1.0)).rejected == ()


def test_sound_raises_score_but_alone_gives_nothing() -> None:
    quiet = detect(make(bursts=((10.0, 10.8),)))[0]
    loud = detect(make(bursts=((10.0, 10.8),), sound_at=(10.3,)))[0]
    assert loud.score > quiet.score
    assert "audio" in loud.reasons
    assert detect(make(sound_at=(5.0, 12.0))) == []


def test_max_moments_and_min_gap() -> None:
    sig = make(duration=40.0, bursts=((8.0, 8.6), (10.0, 10.6), (20.0, 20.6), (30.0, 30.6)))
    assert len(detect(sig)) == 3  # 8 s and 10 s are closer than the default 3 s gap
    assert len(detect(sig, DetectOptions(min_gap=1.0))) == 4
    assert len(detect(sig, DetectOptions(max_moments=2))) == 2


def test_sensitivity_orders_results() -> None:
    sig = make(bursts=((10.0, 10.8),), level=0.12)
    assert len(detect(sig, DetectOptions(sensitivity=0.95))) >= len(
        detect(sig, DetectOptions(sensitivity=0.05))
    )


def test_sensitivity_one_finds_the_most() -> None:
    # The top of the scale finds everything lower settings do and more, not an empty
    # list (at a threshold of 0 the whole noisy file merged into one long burst).
    sig = make(bursts=((6.0, 6.5), (14.0, 14.8)), level=0.12)
    counts = [len(detect(sig, DetectOptions(sensitivity=s))) for s in (0.5, 0.9, 0.99, 1.0)]
    assert counts == sorted(counts), counts
    peaks = [m.peak for m in detect(sig, DetectOptions(sensitivity=1.0))]
    for a, b in ((6.0, 6.5), (14.0, 14.8)):
        assert any(a - 0.5 <= p <= b + 0.5 for p in peaks), peaks


def test_short_file_gives_nothing_with_a_note() -> None:
    res = detect_with_notes(make(duration=1.5, bursts=((0.7, 1.0),)))
    assert res.moments == []
    assert res.notes and "shorter" in res.notes[0]


def test_options_are_defined_once_with_help() -> None:
    for f in dataclasses.fields(DetectOptions):
        assert f.metadata.get("help")
    with pytest.raises(ValueError):
        DetectOptions(sensitivity=1.5)


def test_smooth_is_the_windowed_mean_of_valid_rows_across_chunks() -> None:
    # Longer than one processing chunk, irregular times, some rows invalid: each output
    # row must be the plain mean of the valid rows within +-half seconds.
    rng = np.random.default_rng(3)
    n = CHUNK * 2 + 123
    t = np.cumsum(rng.uniform(0.02, 0.06, n))
    x = rng.uniform(0, 1, (n, 3))
    valid = rng.uniform(size=n) > 0.2
    got = smooth(t, x, valid, 0.15)
    for i in (0, 1, CHUNK - 1, CHUNK, CHUNK + 1, n // 2, n - 1):
        near = (np.abs(t - t[i]) <= 0.15) & valid
        want = x[near].mean(axis=0) if near.any() else np.zeros(3)
        assert np.allclose(got[i], want, atol=1e-5), i


def test_action_map_shows_where_the_burst_is_not_the_steady_work() -> None:
    from clipkit.detect import action_map

    sig = make(bursts=((10.0, 10.8),), sustained=True)
    m = action_map(sig, 9.4, 11.9)
    assert m is not None and m.shape == (6, 8)
    flat = m.ravel()
    # Cells 20-25 (row 2, columns 4-7, and row 3, columns 0-1) hold nearly all of it; the
    # chopping in cells 0-5 raised its own baseline and is not in it.
    assert flat[20:26].sum() > 0.95 * flat.sum()
    assert flat[:6].sum() < 0.01 * flat[20:26].sum()
    # Long before the burst there is nothing to frame.
    quiet = action_map(sig, 2.0, 4.0)
    assert quiet is not None and quiet.sum() < 0.01 * flat.sum()
    assert action_map(dataclasses.replace(sig, cells=np.zeros((0, 0))), 9.4, 11.9) is None
