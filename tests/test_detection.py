"""Detection on hand-written series: candidates, features, the light split, the model
file, and what --sensitivity does. No video involved."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from clipkit.analysis.signals import CELL_GRID, LOOK_GRID, Signals
from clipkit.detection import DetectOptions, Moment, action_map, detect, detect_with_notes
from clipkit.detection.candidates import candidates
from clipkit.detection.features import FEATURES, TEXT
from clipkit.detection.model import Model, ModelError, load, shipped
from clipkit.detection.moments import describe, pick, score
from clipkit.detection.series import CHUNK, light_fit, prepare, smooth
from tests.conftest import flat_signals

FPS = 30.0
CELLS = CELL_GRID[0] * CELL_GRID[1]
LOOKS = LOOK_GRID[0] * LOOK_GRID[1]


def fine_cells(where: slice) -> np.ndarray:
    return np.arange(CELLS)[where]


def coarse(where: slice) -> np.ndarray:
    """The LOOK_GRID cells that the CELL_GRID cells ``where`` lie in."""
    fine = np.zeros(CELLS, bool)
    fine[where] = True
    return np.array(sorted({(i // CELL_GRID[0]) // 2 * LOOK_GRID[0] + (i % CELL_GRID[0]) // 2
                            for i in np.flatnonzero(fine)}))  # fmt: skip


def make(
    duration: float = 20.0,
    bursts: tuple[tuple[float, float], ...] = (),
    *,
    level: float = 0.4,
    where: slice = slice(84, 90),  # row 5, columns 4-9
    camera: tuple[float, float] | None = None,
    dark: tuple[float, float] | None = None,
    covered: tuple[float, float] | None = None,
    sustained: bool = False,
    sound_at: tuple[float, ...] = (),
    fall: float = 0.0,
    leaves: bool = True,
    seed: int = 0,
) -> Signals:
    """A still scene with mild noise; bursts of local motion in a few grid cells."""
    rng = np.random.default_rng(seed)
    t = np.arange(0, duration, 1 / FPS)
    cells = rng.uniform(0.0, 0.01, (t.size, CELLS))
    if sustained:  # chopping in cells 0-11 (the top row): fast, steady work all along
        cells[:, :12] += 0.3 + 0.1 * np.sin(2 * np.pi * 3 * t)[:, None]
    dy = np.zeros((t.size, LOOKS))
    luma = np.tile(np.linspace(0.2, 0.8, CELLS), (t.size, 1)) + rng.normal(
        0, 0.002, (t.size, CELLS)
    )
    for a, b in bursts:
        on = (t >= a) & (t < b)
        cells[on, where] += level
        dy[np.ix_(on, coarse(where))] = fall
        if leaves:  # something now lies there
            luma[np.ix_(t >= b, fine_cells(where))] += 0.15
    cam = np.zeros(t.size)
    conf = np.ones(t.size)
    if camera:
        on = (t >= camera[0]) & (t < camera[1])
        cam[on] = 1.0
        conf[on] = 0.3
    bright = np.full(t.size, 0.5)
    if dark:
        on = (t >= dark[0]) & (t < dark[1])
        bright[on] = 0.1
        luma[on] *= 0.2
    cover = np.zeros(t.size)
    if covered:
        cover[(t >= covered[0]) & (t < covered[1])] = 0.9
    audio_t = np.arange(0, duration, 0.02)
    onset = rng.uniform(0, 1.0, audio_t.size)
    for s in sound_at:
        onset[np.abs(audio_t - s) < 0.03] = 30.0
    z = np.zeros(t.size)
    return Signals(
        duration=duration, t=t, motion=cells.mean(axis=1), camera=cam, cut=z,
        brightness=bright, coverage=cover, sharpness=z + 1, motion_x=z + 0.5,
        motion_y=z + 0.5, audio_t=audio_t, audio_rms=np.full(audio_t.size, -40.0),
        audio_onset=onset, change=np.full(t.size, 0.01), cam_conf=conf, shift=cam,
        raw=cells.mean(axis=1) + cam * 0.2, cells=cells.astype(np.float32),
        cells_dy=dy.astype(np.float32), cells_luma=luma.astype(np.float32),
    )  # fmt: skip


def feature(sig: Signals, name: str, near: float) -> float:
    """The named feature of the candidate peaking nearest ``near`` s."""
    cands, times, feats, _ = describe(sig)
    assert cands, "no candidate"
    k = int(np.argmin(np.abs(times[:, 1] - near)))
    return float(feats[k, FEATURES.index(name)])


# -- candidates -----------------------------------------------------------------------


def test_a_burst_is_a_candidate_still_footage_gives_none() -> None:
    sig = make(bursts=((10.0, 10.8),))
    [c] = candidates(prepare(sig))
    assert 10.0 <= sig.t[c.p] <= 10.8
    assert c.a <= c.core[0] <= c.p <= c.core[1] <= c.b
    assert sig.t[c.a] <= 10.05 and sig.t[c.b] >= 10.75  # the extent holds the burst
    assert "motion" in c.sources
    assert candidates(prepare(make())) == []


def test_steady_work_is_its_own_baseline() -> None:
    assert candidates(prepare(make(sustained=True))) == []
    [c] = candidates(prepare(make(sustained=True, bursts=((10.0, 10.8),))))
    assert 10.0 <= c.p / FPS <= 10.8


def test_a_small_thing_in_one_region_is_a_candidate() -> None:
    """An egg a few percent of the picture wide fills part of one region only."""
    sig = make(bursts=((10.0, 10.5),), where=slice(120, 121), level=0.35)
    assert any(10.0 <= sig.t[c.p] <= 10.5 for c in candidates(prepare(sig)))


def test_a_burst_going_at_the_first_frame_is_no_candidate() -> None:
    """It began before the recording: whether it was sudden cannot be seen."""
    assert candidates(prepare(make(bursts=((0.0, 0.8),)))) == []
    [c] = candidates(prepare(make(bursts=((0.6, 1.2),))))  # its start is seen
    assert 0.6 <= c.p / FPS <= 1.2


def test_a_sound_with_motion_near_it_is_a_candidate_a_sound_alone_is_not() -> None:
    weak = make(bursts=((10.0, 10.4),), level=0.05, sound_at=(10.2,))
    assert any("audio" in c.sources for c in candidates(prepare(weak)))
    assert candidates(prepare(make(sound_at=(5.0, 12.0)))) == []


# -- features -------------------------------------------------------------------------


def test_features_say_what_they_name() -> None:
    plain = make(bursts=((10.0, 10.8),), fall=1.0)
    assert feature(plain, "fall", 10.4) == pytest.approx(1.0, abs=0.05)
    assert feature(plain, "camera", 10.4) == 0.0
    assert feature(plain, "from_start", 10.4) == 1.0 and feature(plain, "to_end", 10.4) == 1.0
    assert feature(make(bursts=((10.0, 10.8),), camera=(9.5, 11.5)), "camera", 10.4) > 1.0
    assert feature(make(bursts=((0.2, 0.8),)), "from_start", 0.5) < 0.3
    assert feature(make(bursts=((19.4, 19.9),)), "to_end", 19.6) < 0.3
    assert feature(make(bursts=((10.0, 10.8),), covered=(10.0, 11.0)), "covered", 10.4) > 0.5
    loud = make(bursts=((10.0, 10.8),), sound_at=(10.3,))
    assert feature(loud, "audio", 10.4) > 1.0 > feature(plain, "audio", 10.4)
    gone = make(bursts=((10.0, 10.8),), leaves=False)
    assert feature(plain, "changed", 10.4) > 1.0 + feature(gone, "changed", 10.4)


def test_a_one_frame_glitch_reads_as_a_spike() -> None:
    glitch = make(bursts=((10.0, 10.0 + 1 / FPS),), level=0.9)
    burst = make(bursts=((10.0, 10.8),))
    assert feature(glitch, "spike", 10.0) > 1.0 > feature(burst, "spike", 10.4)


def test_light_is_the_global_change_foam_is_a_local_one() -> None:
    t = np.arange(0, 6, 1 / FPS)
    base = np.tile(np.linspace(0.2, 0.7, CELLS), (t.size, 1))
    light = base.copy()
    light[t >= 3] = light[t >= 3] * 1.4 + 0.05  # a lamp switched on: every region alike
    foam = base.copy()
    foam[t >= 3, 40:43] = 0.95  # white foam over three regions of a dark pot
    at = int(3.5 * FPS)
    g1, l1 = light_fit(_still(t, cells_luma=light))
    g2, l2 = light_fit(_still(t, cells_luma=foam))
    assert g1[at] > 0.1 and l1[at].max() < 0.01  # all explained by one gain and offset
    assert g2[at] < 0.02 and l2[at, 40:43].min() > 0.3  # not explained: a local change
    assert l2[at, 60:].max() < 0.02


def _still(t: np.ndarray, **series: np.ndarray) -> Signals:
    """A still, sharp scene 6 s long, with ``series`` over it."""
    z = np.zeros(t.size)
    return flat_signals(t, 6.0, sharpness=z + 1, motion_x=z, motion_y=z, **series)


# -- the model ------------------------------------------------------------------------


def test_the_shipped_model_loads_and_knows_every_feature() -> None:
    m = shipped()
    assert m.features == FEATURES
    assert set(TEXT) == set(FEATURES)
    assert m.info.get("rows", 0) > 0
    x = np.zeros((3, len(FEATURES)))
    p = m.score(x)
    assert p.shape == (3,) and np.all((p > 0) & (p < 1))


def test_the_shipped_model_learned_the_physics() -> None:
    """A clear burst scores higher than the same burst while the camera moves too fast
    to be told apart, with the lens covered, or as a one-frame glitch (a flash that
    leaves the scene as it was)."""
    m = shipped()
    clear = score(make(bursts=((10.0, 10.8),), sound_at=(10.3,)), m).scores.max()
    for other, at in (
        (make(bursts=((10.0, 10.8),), sound_at=(10.3,), camera=(9.5, 11.5)), 10.4),
        (make(bursts=((10.0, 10.8),), sound_at=(10.3,), covered=(9.9, 11.0)), 10.4),
        (make(bursts=((10.0, 10.0 + 1 / FPS),), level=0.9, sound_at=(10.0,), leaves=False), 10.0),
    ):
        sc = score(other, m)
        k = int(np.argmin(np.abs(sc.times[:, 1] - at)))
        assert sc.scores[k] < clear


def test_a_model_file_round_trips_and_a_foreign_one_is_refused(tmp_path: Path) -> None:
    m = shipped()
    path = tmp_path / "model.json"
    m.save(path)
    again = load(path)
    x = np.random.default_rng(0).normal(size=(5, len(FEATURES)))
    assert np.allclose(again.score(x), m.score(x), atol=1e-5)
    d = json.loads(path.read_text())
    d["features"] = d["features"][::-1]
    path.write_text(json.dumps(d))
    with pytest.raises(ModelError, match="other features"):
        load(path)
    path.write_text("{not json")
    with pytest.raises(ModelError, match="cannot read"):
        load(path)
    with pytest.raises(ModelError):
        Model(FEATURES, np.zeros(2), np.ones(2), np.zeros(2), 0.0)


def test_contributions_add_up_to_the_score() -> None:
    m = shipped()
    x = np.random.default_rng(1).normal(size=(4, len(FEATURES)))
    z = m.contributions(x).sum(axis=1) + m.intercept
    assert np.allclose(m.score(x), 1 / (1 + np.exp(-z)))


# -- moments and --sensitivity ----------------------------------------------------------


def test_a_clear_burst_with_a_sound_is_a_moment() -> None:
    [m] = detect(make(bursts=((10.0, 10.8),), sound_at=(10.3,), fall=1.0))
    assert isinstance(m, Moment)
    assert 10.0 <= m.peak <= 10.8 and m.start <= 10.05 and m.end >= 10.75
    assert shipped().threshold <= m.score <= 1.0
    assert m.reasons[0] == "motion" and "audio" in m.reasons
    assert m.to_dict()["reasons"] == list(m.reasons)


def test_still_footage_gives_nothing_and_short_footage_says_why() -> None:
    assert detect(make()) == []
    res = detect_with_notes(make(duration=1.5, bursts=((0.7, 1.0),)))
    assert res.moments == [] and "shorter" in res.notes[0]


@pytest.mark.parametrize("seed", range(6))
def test_more_sensitivity_never_loses_a_moment(seed: int) -> None:
    """The moments at a higher sensitivity include those at a lower one (candidates do
    not depend on it; it only lowers the score they need)."""
    rng = np.random.default_rng(seed)
    bursts = tuple((float(a), float(a) + float(rng.uniform(0.2, 1.5)))
                   for a in np.sort(rng.uniform(1, 38, 6)))  # fmt: skip
    sig = make(duration=40.0, bursts=bursts, level=float(rng.uniform(0.05, 0.5)), seed=seed,
               sound_at=tuple(float(a) + 0.1 for a, _ in bursts[::2]))  # fmt: skip
    sc = score(sig)
    peaks_before: set[float] = set()
    for s in np.linspace(0.0, 1.0, 11):
        opts = DetectOptions(sensitivity=float(s), max_moments=100, min_gap=0.0)
        peaks = {m.peak for m in pick(sc, opts, shipped()).moments}
        assert peaks >= peaks_before
        peaks_before = peaks


def test_moments_left_out_by_min_gap_or_max_moments_are_rejected() -> None:
    sig = make(duration=40.0, bursts=((8.0, 8.6), (10.0, 10.6), (20.0, 20.6), (30.0, 30.6)),
               sound_at=(8.3, 10.3, 20.3, 30.3), fall=1.0)  # fmt: skip
    opts = DetectOptions(sensitivity=0.9)
    gap = detect_with_notes(sig, opts)
    assert len(gap.moments) == 3
    near = [r for r in gap.rejected if r.why.startswith("within")]
    assert len(near) == 1 and near[0].why == "within --min-gap 3 s of a stronger moment"
    most = detect_with_notes(sig, dataclasses.replace(opts, min_gap=1.0, max_moments=2))
    assert len(most.moments) == 2
    over = [r for r in most.rejected if r.why.startswith("more than")]
    assert [r.why for r in over] == ["more than --max-moments 2 in this file"] * 2
    peaks = [r.peak for r in most.rejected]
    assert peaks == sorted(peaks)  # in time order


def test_a_candidate_turned_down_says_what_counted_against_it() -> None:
    found = detect_with_notes(make(bursts=((10.0, 10.8),), covered=(9.9, 11.0)))
    assert found.moments == []
    [r] = [r for r in found.rejected if 10.0 <= r.peak <= 10.8]
    assert r.why.startswith(f"score below {shipped().needed(0.5):.2f}: ")
    assert TEXT["covered"] in r.why
    assert TEXT["motion"] not in r.why  # what counted for it is not a reason against


def test_options_are_defined_once_with_help() -> None:
    for f in dataclasses.fields(DetectOptions):
        assert f.metadata.get("help")
    with pytest.raises(ValueError):
        DetectOptions(sensitivity=1.5)


# -- series -----------------------------------------------------------------------------


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
    sig = make(bursts=((10.0, 10.8),), sustained=True)
    m = action_map(sig, 9.4, 11.9)
    assert m is not None and m.shape == (CELL_GRID[1], CELL_GRID[0])
    flat = m.ravel()
    # Cells 84-89 (row 5, columns 4-9) hold nearly all of it; the chopping in the top
    # row raised its own baseline and is not in it.
    assert flat[84:90].sum() > 0.95 * flat.sum()
    assert flat[:12].sum() < 0.01 * flat[84:90].sum()
    # Long before the burst there is nothing to frame.
    quiet = action_map(sig, 2.0, 4.0)
    assert quiet is not None and quiet.sum() < 0.01 * flat.sum()
    assert action_map(dataclasses.replace(sig, cells=np.zeros((0, 0))), 9.4, 11.9) is None
