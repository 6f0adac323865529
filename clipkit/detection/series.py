"""Per-frame series that detection works on, derived from Signals: pure numpy.

Each quantity is judged against its own region's baseline, so work that goes on all
the time (chopping, stirring) raises its own bar and does not stand out. Every time
constant is in seconds and every motion quantity a fraction of the frame, so nothing
depends on the footage's frame rate or resolution.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from clipkit.analysis.signals import CELL_GRID, Signals

# Activity is averaged over +-0.15 s: long enough to merge steppy low-rate footage
# (5-10 fps), short enough to keep a 0.2 s burst. Footage whose picture changes less
# often (CCTV updating 3 times a second, repeating frames in between) is averaged over
# +- one of its own intervals instead, so that a window always holds two changes.
SMOOTH_HALF = 0.15
# The baseline of each picture region is its median over +-8 s: longer than the
# longest burst (a ~6 s boil-over) so the burst itself does not lift it.
BASELINE_HALF = 8.0
# Baselines change slowly: they are evaluated every 0.25 s (1/32 of the window).
BASELINE_STEP = 0.25
# A region is "newly active" when it exceeds its baseline by this many robust spreads
# (1.4826 x MAD estimates a standard deviation); 2 keeps its ordinary wobble out.
SPREAD_K = 2.0
# Added to the file's typical motion when normalising the excess: 1 % of the frame, the
# level of sensor noise and compression shimmer on a still picture.
MOTION_FLOOR = 0.01
# The same for a change of appearance: 1 % of full scale (2.5 grey levels).
LUMA_FLOOR = 0.01
# A region's grey level wobbles by at least this (a quarter of a grey level) however
# still the scene: the least unit of a lasting change of look.
LUMA_NOISE_FLOOR = 0.001
# Frames whose mean grey change is below 0.1 % (a quarter of a grey level) repeat the
# previous one (frozen or duplicated frames, CCTV that updates a few times a second):
# they carry no motion. Real sensor noise, even after compression, changes more.
REPEAT_CHANGE = 0.001
# ...or that changed less than 0.05 % of their pixels beyond noise: re-encoded repeats
# differ by a shimmer of compression noise, not by anything that moves.
REPEAT_MOTION = 0.0005
# A change after a long still stretch is not spread over that whole stretch: intervals
# count as at most 4 typical ones (e.g. CCTV updating 3 times a second at 25 fps).
MAX_GAP_SCALE = 4.0
# A region counts as newly active when 5 % more of it moves than usual.
CELL_ACTIVE = 0.05
# Appearance is compared with the picture 1 s before: foam rising, smoke or a flame
# changes a region within about that, while the regions' light drifts far slower.
APPEARANCE_LAG = 1.0
# The global light fit leaves out the cells it explains worst (the local change itself)
# and is fitted again on the rest: cells beyond 2.5x the median residual.
LIGHT_TRIM = 2.5
# Audio: onsets are judged in robust spreads above the file's usual onsets, with 1 dB
# added to the spread (a silent or steady track has none at all).
AUDIO_SPREAD_FLOOR = 1.0
# How close (s) a sound must be to a frame to count as heard with it.
AUDIO_NEAR = 0.4
# Rows processed at a time where a per-region array is expanded per frame: keeps the
# temporaries of an hour of footage to a few megabytes.
CHUNK = 4096


def smooth(t: np.ndarray, x: np.ndarray, valid: np.ndarray, half: float) -> np.ndarray:
    """Mean of the valid rows of ``x`` within +-``half`` s of each time (float32).

    Running sums are taken over one chunk of rows (and its window) at a time, so the
    temporaries stay a few megabytes however long the footage is.
    """
    shape = (-1,) + (1,) * (x.ndim - 1)
    lo = np.searchsorted(t, t - half, side="left")
    hi = np.searchsorted(t, t + half, side="right")
    out = np.zeros(x.shape, np.float32)
    for a in range(0, t.size, CHUNK):
        b = min(a + CHUNK, t.size)
        first, last = int(lo[a]), int(hi[b - 1])  # both grow with the row: t is sorted
        sums = np.zeros((last - first + 1,) + x.shape[1:])
        body = sums[1:]  # a view: sums[0] stays the zero before the first row
        body[:] = x[first:last]
        body[~valid[first:last]] = 0.0
        np.cumsum(body, axis=0, out=body)
        counts = np.concatenate([[0], np.cumsum(valid[first:last])])
        lo_, hi_ = lo[a:b] - first, hi[a:b] - first
        n = np.maximum(counts[hi_] - counts[lo_], 1).reshape(shape)
        out[a:b] = (sums[hi_] - sums[lo_]) / n
    return out


def rolling_median_mad(
    t: np.ndarray, x: np.ndarray, valid: np.ndarray, half: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and robust spread (1.4826 x MAD) of valid rows within +-``half`` s, on a
    BASELINE_STEP grid, plus each frame's grid index.

    A baseline changes slowly: a grid keeps an hour of footage to a few thousand medians.
    """
    grid = np.arange(t[0], t[-1] + BASELINE_STEP, BASELINE_STEP)
    med = np.zeros((grid.size,) + x.shape[1:], np.float32)
    mad = np.zeros_like(med)
    lo = np.searchsorted(t, grid - half, side="left")
    hi = np.searchsorted(t, grid + half, side="right")
    for i in range(grid.size):
        v = x[lo[i] : hi[i]][valid[lo[i] : hi[i]]]
        if v.shape[0]:
            med[i] = np.median(v, axis=0)
            mad[i] = 1.4826 * np.median(np.abs(v - med[i]), axis=0)
    idx = np.clip(np.searchsorted(grid, t, side="right") - 1, 0, grid.size - 1)
    return med, mad, idx


# A frame whose thumbnail has lost this much of its correlation with the previous one
# (the analysis's cut score, 1 - NCC) is a hard cut: motion within one shot keeps it near
# 0 (the samples' 99th percentile: 0.05), a cut between two kitchen shots gives 0.15-0.9.
CUT_FRAME = 0.1


def distinct(s: Signals) -> np.ndarray:
    """Frames that are not repeats of the previous one (and not the very first), and
    not hard cuts: what changed at a cut is the shot, not anything in it."""
    valid = s.motion > REPEAT_MOTION
    if s.change.size:
        valid &= s.change > REPEAT_CHANGE
    if s.cut.size:
        valid &= s.cut < CUT_FRAME
    valid[0] = False  # the first frame has nothing to differ from
    return valid


def typical_interval(t: np.ndarray, valid: np.ndarray) -> float:
    """The median time (s) between distinct frames; 0 with fewer than two."""
    idx = np.flatnonzero(valid)
    return float(np.median(np.diff(t[idx]))) if idx.size >= 2 else 0.0


def per_interval(t: np.ndarray, cells: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Changed fractions rescaled to the file's typical frame interval (float32).

    A frame compared with one three intervals back (skipped B-frames, variable frame rate,
    a repeated frame before it) shows about three times the change of a regular one.
    """
    idx = np.flatnonzero(valid)
    out = np.zeros(cells.shape, np.float32)
    if idx.size < 2:
        return out
    gaps = np.diff(t[idx])
    typical = typical_interval(t, valid)
    gaps = np.clip(np.concatenate([[typical], gaps]), 1e-3, MAX_GAP_SCALE * typical)
    scale = typical / gaps
    out[idx] = cells[idx] * scale.astype(np.float32).reshape((-1,) + (1,) * (cells.ndim - 1))
    return out


@dataclass(frozen=True)
class Regions:
    """One quantity per picture region and frame, against what the region ordinarily
    reaches: ``new(rows)`` is how far it stands above that."""

    smoothed: np.ndarray  # per frame and region, averaged over +-SMOOTH_HALF
    bar: np.ndarray  # each region's baseline + SPREAD_K robust spreads, on a grid...
    idx: np.ndarray  # ...whose row for each frame is this
    level: np.ndarray  # the mean baseline of the regions, on the same grid

    def new(self, rows: slice | np.ndarray) -> np.ndarray:
        """Per region, how far it stands above its bar at ``rows`` (0 where below)."""
        return np.maximum(0.0, self.smoothed[rows] - self.bar[self.idx[rows]])


def regions(t: np.ndarray, values: np.ndarray, valid: np.ndarray) -> Regions:
    """``values`` (frames x regions) smoothed and set against each region's baseline."""
    c = smooth(t, values, valid, max(SMOOTH_HALF, typical_interval(t, valid)))
    med, mad, idx = rolling_median_mad(t, c, valid, BASELINE_HALF)
    return Regions(c, med + SPREAD_K * mad, idx, med.mean(axis=1))


def cell_values(s: Signals, name: str = "cells") -> np.ndarray:
    """A per-cell series, or the whole-picture motion as one region when absent."""
    v = getattr(s, name)
    return v if v.ndim == 2 and v.size else s.motion.reshape(-1, 1)


@dataclass(frozen=True)
class Excess:
    """How far a quantity stands above its regions' baselines, per frame: the mean over
    regions relative to the file's usual level (0 = ordinary), and the share of regions
    newly active at once."""

    x: np.ndarray
    spread: np.ndarray
    regions: Regions


def excess(t: np.ndarray, values: np.ndarray, valid: np.ndarray, floor: float) -> Excess:
    """The Excess of ``values`` (frames x regions); ``floor`` is added to the usual level
    (its noise) before dividing by it."""
    r = regions(t, values, valid)
    x = np.zeros(t.size)
    spread = np.zeros(t.size)
    for a in range(0, t.size, CHUNK):
        new = r.new(slice(a, a + CHUNK))
        spread[a : a + CHUNK] = (new > CELL_ACTIVE).mean(axis=1)
        x[a : a + CHUNK] = new.mean(axis=1)
    return Excess(x / (r.level + floor)[r.idx], spread, r)


def motion_excess(s: Signals) -> Excess:
    """Local motion (the camera's own taken out) against each region's baseline."""
    valid = distinct(s)
    cells = per_interval(s.t, cell_values(s), valid)
    return excess(s.t, cells, valid, MOTION_FLOOR)


def light_fit(s: Signals) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, against the picture APPEARANCE_LAG s before: how much the light changed
    (the mean change that one gain and offset over all regions explains, 0..1) and each
    region's change that it does not explain (frames x regions, 0..1). A light switched
    on, a fade or auto-exposure is the first; foam, smoke, a flame or spilled milk the
    second."""
    lum = s.cells_luma
    if lum.ndim != 2 or not lum.size:
        return np.zeros(s.t.size), np.zeros((s.t.size, 1), np.float32)
    ref = np.searchsorted(s.t, s.t - APPEARANCE_LAG, side="left")
    glob = np.zeros(s.t.size)
    local = np.zeros(lum.shape, np.float32)
    for a in range(0, s.t.size, CHUNK):
        y = lum[a : a + CHUNK].astype(np.float64)
        x = lum[ref[a : a + CHUNK]].astype(np.float64)
        w = np.ones_like(y)
        for _ in range(2):  # fit, then again without the cells it explains worst
            gain, off = fit_gain(x, y, w)
            res = np.abs(y - (gain * x + off))
            w = (res <= LIGHT_TRIM * np.median(res, axis=1, keepdims=True) + 1e-3).astype(float)
        glob[a : a + CHUNK] = np.abs(gain * x + off - x).mean(axis=1)
        local[a : a + CHUNK] = res
    return glob, local


def fit_gain(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the weighted least-squares gain and offset with y ~ gain * x + offset
    (columns (n, 1)); a row whose x does not vary gets gain 1."""
    sw = np.maximum(w.sum(axis=1, keepdims=True), 1e-9)
    mx, my = (w * x).sum(axis=1, keepdims=True) / sw, (w * y).sum(axis=1, keepdims=True) / sw
    vx = (w * (x - mx) ** 2).sum(axis=1, keepdims=True)
    cxy = (w * (x - mx) * (y - my)).sum(axis=1, keepdims=True)
    gain = np.where(vx > 1e-6, cxy / np.maximum(vx, 1e-12), 1.0)
    return gain, my - gain * mx


def appearance_excess(s: Signals, local: np.ndarray) -> Excess:
    """Changes of appearance the light does not explain, against each region's baseline."""
    # Every frame counts: a repeated frame shows the same change against 1 s before.
    return excess(s.t, local, np.ones(s.t.size, bool), LUMA_FLOOR)


def audio_z(s: Signals) -> tuple[np.ndarray, np.ndarray]:
    """Per video frame: the strongest sound onset within +-AUDIO_NEAR s, in robust spreads
    above the file's usual onsets (0 without audio), and its time less the frame's."""
    if not s.has_audio or s.audio_onset.size < 8:
        return np.zeros(s.t.size), np.zeros(s.t.size)
    on = s.audio_onset
    med = float(np.median(on))
    z = (on - med) / (1.4826 * float(np.median(np.abs(on - med))) + AUDIO_SPREAD_FLOOR)
    lo = np.searchsorted(s.audio_t, s.t - AUDIO_NEAR, side="left")
    hi = np.searchsorted(s.audio_t, s.t + AUDIO_NEAR, side="right")
    best = np.zeros(s.t.size)
    lag = np.zeros(s.t.size)
    for i, (a, b) in enumerate(zip(lo, hi, strict=True)):
        if b > a:
            j = a + int(np.argmax(z[a:b]))
            best[i], lag[i] = z[j], s.audio_t[j] - s.t[i]
    return best, lag


def pool(cells: np.ndarray, grid: tuple[int, int]) -> np.ndarray | None:
    """Rows of CELL_GRID values summed into the cells of the coarser ``grid`` (None when
    the rows are not on CELL_GRID or it does not divide evenly)."""
    (cw, ch), (gw, gh) = CELL_GRID, grid
    if cells.shape[-1] != cw * ch or cw % gw or ch % gh:
        return None
    v = cells.reshape(-1, gh, ch // gh, gw, cw // gw)
    return v.sum(axis=(2, 4)).reshape(-1, gw * gh)


def action_map(s: Signals, t0: float, t1: float) -> np.ndarray | None:
    """Where in the picture motion stood above its region's baseline between ``t0`` and
    ``t1`` s: the summed excess per region, shape (rows, columns) of CELL_GRID (None
    without per-region motion). Stirring that goes on all the time is not in it; the
    falling, spilling thing is. For framing a moment, not for finding it."""
    maps = action_maps(s, np.array([(t0 + t1) / 2]), (t1 - t0) / 2)
    return None if maps is None else maps[0]


def action_maps(s: Signals, times: np.ndarray, half: float) -> np.ndarray | None:
    """``action_map`` over ``times`` +- ``half`` s each, worked out together (the
    baselines once): shape (len(times), rows, columns), None without per-region motion."""
    if s.cells.ndim != 2 or s.cells.shape[1] != CELL_GRID[0] * CELL_GRID[1] or not times.size:
        return None
    t0, t1 = float(times.min()) - half, float(times.max()) + half
    # The baselines of the frames in [t0, t1] only need the frames around them.
    near = np.flatnonzero((s.t >= t0 - BASELINE_HALF) & (s.t <= t1 + BASELINE_HALF))
    if near.size < 2:
        return None
    part = replace(
        s,
        **{
            f: getattr(s, f)[near]
            for f in ("t", "motion", "cells", "change", "cut")
            if getattr(s, f).size
        },
    )
    valid = distinct(part)
    r = regions(part.t, per_interval(part.t, part.cells, valid), valid)
    out = np.zeros((times.size, CELL_GRID[1], CELL_GRID[0]))
    for k, tk in enumerate(times):
        rows = np.flatnonzero((part.t >= tk - half) & (part.t <= tk + half) & valid)
        new = r.new(rows)
        new = new[(new > CELL_ACTIVE).mean(axis=1) <= MAX_SPREAD]  # not the whole view
        out[k] = new.sum(axis=0).reshape(CELL_GRID[1], CELL_GRID[0])
    return out


# For framing: when more than 60 % of the picture's regions are newly active at once,
# the whole view changed (a head-mounted camera turning, a cut, the lens covered), and
# that frame says nothing about where the action is.
MAX_SPREAD = 0.6


@dataclass(frozen=True)
class Prepared:
    """Everything candidates and their features are read from, worked out once a file."""

    s: Signals
    valid: np.ndarray  # distinct frames
    rate: np.ndarray  # whole-picture local motion per typical frame interval
    motion: Excess  # local motion against the regions' baselines
    appearance: Excess  # local change of appearance against the regions' baselines
    light: np.ndarray  # how much the light changed over APPEARANCE_LAG (global fit), 0..1
    audio: np.ndarray  # strongest sound onset near each frame, robust spreads
    audio_lag: np.ndarray  # its time less the frame's, s
    luma_change: np.ndarray  # each region's usual change of look over APPEARANCE_LAG


def prepare(s: Signals) -> Prepared:
    valid = distinct(s)
    light, local = light_fit(s)
    audio, lag = audio_z(s)
    return Prepared(
        s=s, valid=valid, rate=per_interval(s.t, s.motion, valid), motion=motion_excess(s),
        appearance=appearance_excess(s, local), light=light, audio=audio, audio_lag=lag,
        luma_change=np.median(local, axis=0) + LUMA_NOISE_FLOOR,
    )  # fmt: skip
