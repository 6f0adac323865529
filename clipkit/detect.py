"""Mishap moments from analysed Signals: pure numpy, no video I/O.

A mishap is a short burst of local motion (about 0.2-3 s, up to ~6 s for a boil-over)
in a part of the picture that stands well above that part's own recent baseline. Work
that goes on all the time (chopping, stirring) raises its own baseline and so does not
fire. Bursts that the camera, a cut, a fade, a light or a hand at the lens explain are
dropped. A sharp sound at the same time raises the score; sound alone is never a moment.

Every time constant below is in seconds and every motion quantity is a fraction of the
frame, so the rules do not depend on the footage's frame rate or resolution.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np

from clipkit.signals import CELL_GRID, Signals

# Files shorter than this give no moments: there is no baseline to stand out from.
MIN_DURATION = 2.0
# Burst activity is averaged over +-0.15 s: long enough to merge steppy low-rate
# footage (5-10 fps), short enough to keep a 0.2 s burst. Footage whose picture changes
# less often (CCTV updating 3 times a second, repeating frames in between) is averaged
# over +- one of its own intervals instead, so that a window always holds two changes.
SMOOTH_HALF = 0.15
# The baseline of each picture region is its median over +-8 s: longer than the
# longest burst (a ~6 s boil-over) so the burst itself does not lift it.
BASELINE_HALF = 8.0
# A region is "newly active" when it exceeds its baseline by this many robust spreads
# (1.4826 x MAD estimates a standard deviation); 2 keeps its ordinary wobble out.
SPREAD_K = 2.0
# Added to the file's typical motion when normalising the excess: 1 % of the frame, the
# level of sensor noise and compression shimmer on a still picture.
MOTION_FLOOR = 0.01
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
# Hysteresis: a burst extends while the excess ratio stays above this share of the
# detection threshold.
HYSTERESIS = 0.5
# A burst must hold this many distinct frames above the low threshold: one odd frame
# (a decoding glitch, a single-frame flash) is not a moment.
MIN_FRAMES = 2
# A frame that changed 4 times more than both its neighbours is a discontinuity.
SPIKE = 4.0
# Longest burst that is still a mishap (issue 7: up to ~6 s for a boil-over).
MAX_BURST = 8.0
# The first and last second of a recording: a burst that peaks there, or is already
# going in its first half second, is the camera being started or stopped (a hand at
# the lens), and the baseline there is one-sided anyway.
EDGE = 1.0
# Lens covered: at least half the picture featureless, and 0.3 more of it than usual
# for this file (a dim scene is always somewhat featureless).
COVERED = 0.5
COVERED_RISE = 0.3
# Camera motion: while the picture moves by more than 0.15 frame widths per second
# (a pan that crosses the frame in 7 s, a walking head-mounted camera) through most of a
# burst, local motion is not trusted: the measure is taken both from the shift used to
# compensate and from the raw phase-correlation shift, whichever is larger.
CAMERA_FAST = 0.15
# Spread: when more than 60 % of the picture's regions are newly active at once, the
# whole view changed (head-mounted camera turning, cut, lens covered), not an object.
MAX_SPREAD = 0.6
# A region counts towards the spread when 5 % more of it moves than usual.
CELL_ACTIVE = 0.05
# Lighting: a mean brightness change of more than 25 % against the baseline around a
# burst is a light, a fade or auto-exposure, not an object.
MAX_LIGHT_CHANGE = 0.25
# ...measured against the baseline plus 0.05 (5 % of full scale), so that in a dark
# scene a flicker of a few grey levels does not count as a lighting change.
LIGHT_FLOOR = 0.05
# Audio: an onset this many robust spreads above the file's usual onsets is a sharp sound.
AUDIO_Z = 4.0
# ...and raises a moment's excess by up to 30 %.
AUDIO_BOOST = 0.3
# How close (s) a sound must be to the motion peak to count as the same moment.
AUDIO_NEAR = 0.4
# The excess ratio that the default sensitivity (0.5) reports (score 0.5).
X_REF = 0.75
# The lowest score a moment needs, whatever the sensitivity: at 0, any frame with any
# motion at all would extend a burst, and a noisy file would merge into one long burst.
MIN_SCORE = 0.01


@dataclass(frozen=True)
class DetectOptions:
    """Detection settings; the CLI and presets derive their options from these fields."""

    sensitivity: float = field(
        default=0.5,
        metadata={
            "help": "0..1: how readily a burst counts as a moment. 0.5 is the default; "
            "higher finds more (and more false alarms), lower only the most obvious."
        },
    )
    # 10: more than that in one file is rarely worth posting, and a bound keeps a long
    # noisy recording from flooding the output.
    max_moments: int = field(
        default=10, metadata={"help": "At most this many moments per file (best first)."}
    )
    # 3 s: clips run 5-10 s, so two peaks closer than this would share one clip.
    min_gap: float = field(
        default=3.0,
        metadata={"help": "At least this many seconds between the peaks of two moments."},
    )

    def __post_init__(self) -> None:
        if not 0.0 <= self.sensitivity <= 1.0:
            raise ValueError(f"sensitivity must be between 0 and 1, not {self.sensitivity}")
        if self.max_moments < 0:
            raise ValueError(f"max_moments must be >= 0, not {self.max_moments}")
        if self.min_gap < 0:
            raise ValueError(f"min_gap must be >= 0, not {self.min_gap}")

    @property
    def min_score(self) -> float:
        """The score a moment needs: 1 - sensitivity."""
        return 1.0 - self.sensitivity


def _written(x: Moment | Rejected) -> dict[str, object]:
    """Fields as written out: times and score rounded to 1/1000."""
    d = asdict(x)
    for k in ("start", "peak", "end", "score"):
        d[k] = round(float(d[k]), 3)
    return d


@dataclass(frozen=True)
class Moment:
    """One detected mishap: times in seconds, score 0..1 and the signals that fired."""

    start: float
    peak: float
    end: float
    score: float
    reasons: tuple[str, ...] = ("motion",)

    def to_dict(self) -> dict[str, object]:
        d = _written(self)
        d["reasons"] = list(self.reasons)
        return d


@dataclass(frozen=True)
class Rejected:
    """A burst that stood out enough to be a moment but was not reported, and why."""

    start: float
    peak: float
    end: float
    score: float
    why: str

    def to_dict(self) -> dict[str, object]:
        return _written(self)


@dataclass(frozen=True)
class Detection:
    """Moments of one file plus notes for the user (e.g. why there are none) and the
    bursts that were turned down, with the reason (in time order)."""

    moments: list[Moment]
    notes: tuple[str, ...] = ()
    rejected: tuple[Rejected, ...] = ()


def score_of(x: float) -> float:
    """Map an excess ratio (0..inf) to a 0..1 score; X_REF maps to 0.5."""
    return float(x / (x + X_REF)) if x > 0 else 0.0


def detect(signals: Signals, options: DetectOptions = DetectOptions()) -> list[Moment]:
    """The mishap moments of one file, best first, at most ``options.max_moments``."""
    return detect_with_notes(signals, options).moments


def detect_with_notes(signals: Signals, options: DetectOptions = DetectOptions()) -> Detection:
    """Like ``detect``, with notes on why a file gave nothing and the bursts that were
    turned down, each with the reason."""
    if signals.duration < MIN_DURATION or signals.t.size < 4:
        return Detection([], (f"shorter than {MIN_DURATION:g} s: no moments",))
    cands, rejected = _candidates(signals, options)
    kept, dropped = _suppress(cands, options)
    rejected = sorted(rejected + dropped, key=lambda r: r.peak)
    return Detection(sorted(kept, key=lambda m: -m.score), rejected=tuple(rejected))


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
    0.25 s grid, plus each frame's grid index.

    A baseline changes slowly: a grid keeps an hour of footage to a few thousand medians.
    """
    step = 0.25  # seconds between baseline evaluations (1/32 of the window)
    grid = np.arange(t[0], t[-1] + step, step)
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


def distinct(s: Signals) -> np.ndarray:
    """Frames that are not repeats of the previous one (and not the very first)."""
    valid = s.motion > REPEAT_MOTION
    if s.change.size:
        valid &= s.change > REPEAT_CHANGE
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
class _Regions:
    """Each region's motion per frame and what it ordinarily reaches there."""

    valid: np.ndarray  # distinct frames
    cells: np.ndarray  # per region and frame, rescaled to the typical frame interval
    smoothed: np.ndarray  # the same, averaged over +-SMOOTH_HALF
    bar: np.ndarray  # each region's baseline + SPREAD_K robust spreads, on a grid...
    idx: np.ndarray  # ...whose row for each frame is this
    level: np.ndarray  # the mean baseline of the regions, on the same grid


def _regions(s: Signals) -> _Regions:
    valid = distinct(s)
    cells = per_interval(s.t, s.cells if s.cells.size else s.motion.reshape(-1, 1), valid)
    c = smooth(s.t, cells, valid, max(SMOOTH_HALF, typical_interval(s.t, valid)))
    med_g, mad_g, idx = rolling_median_mad(s.t, c, valid, BASELINE_HALF)
    return _Regions(valid, cells, c, med_g + SPREAD_K * mad_g, idx, med_g.mean(axis=1))


def excess(s: Signals) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: how far local motion stands above each region's own baseline, relative to
    the file's typical motion (0 = ordinary), smoothed and raw (0 on repeated frames)."""
    r = _regions(s)
    valid, cells, c, bar_g, idx = r.valid, r.cells, r.smoothed, r.bar, r.idx
    norm = (r.level + MOTION_FLOOR)[idx]
    x = np.zeros(s.t.size)
    raw = np.zeros(s.t.size)
    for a in range(0, s.t.size, CHUNK):
        bar = bar_g[idx[a : a + CHUNK]]
        new = np.maximum(0.0, c[a : a + CHUNK] - bar)
        # Regions lit up all at once: the view changed, not an object in it.
        spread = (new > CELL_ACTIVE).mean(axis=1)
        x[a : a + CHUNK] = np.where(spread > MAX_SPREAD, 0.0, new.mean(axis=1))
        raw[a : a + CHUNK] = np.maximum(0.0, cells[a : a + CHUNK] - bar).mean(axis=1)
    return x / norm, np.where(valid, raw / norm, 0.0)


def action_map(s: Signals, t0: float, t1: float) -> np.ndarray | None:
    """Where in the picture motion stood above its region's baseline between ``t0`` and
    ``t1`` s: the summed excess per region, shape (rows, columns) of CELL_GRID (None
    without per-region motion). Stirring that goes on all the time is not in it; the
    falling, spilling thing is. For framing a moment, not for finding it."""
    if s.cells.ndim != 2 or s.cells.shape[1] != CELL_GRID[0] * CELL_GRID[1]:
        return None
    # The baselines of the frames in [t0, t1] only need the frames around them.
    near = np.flatnonzero((s.t >= t0 - BASELINE_HALF) & (s.t <= t1 + BASELINE_HALF))
    if near.size < 2:
        return None
    part = replace(
        s,
        **{
            f: getattr(s, f)[near] for f in ("t", "motion", "cells", "change") if getattr(s, f).size
        },
    )
    r = _regions(part)
    rows = np.flatnonzero((part.t >= t0) & (part.t <= t1) & r.valid)
    new = np.maximum(0.0, r.smoothed[rows] - r.bar[r.idx[rows]])
    new = new[(new > CELL_ACTIVE).mean(axis=1) <= MAX_SPREAD]  # not the whole view changing
    return new.sum(axis=0).reshape(CELL_GRID[1], CELL_GRID[0])


def audio_support(s: Signals) -> np.ndarray:
    """Per video frame, 0..1: how strongly a sharp sound coincides (0 without audio)."""
    if not s.has_audio or s.audio_onset.size < 8:
        return np.zeros(s.t.size)
    on = s.audio_onset
    med = float(np.median(on))
    # 1 dB floor: a silent or steady track has no spread at all.
    spread = 1.4826 * float(np.median(np.abs(on - med))) + 1.0
    z = (on - med) / spread
    lo = np.searchsorted(s.audio_t, s.t - AUDIO_NEAR, side="left")
    hi = np.searchsorted(s.audio_t, s.t + AUDIO_NEAR, side="right")
    cz = np.array([z[a:b].max() if b > a else 0.0 for a, b in zip(lo, hi, strict=True)])
    return np.clip((cz - AUDIO_Z) / AUDIO_Z, 0.0, 1.0)


@dataclass(frozen=True)
class _Burst:
    a: int  # first frame index
    b: int  # last frame index (inclusive)
    p: int  # peak frame index
    x: float  # excess ratio at the peak, audio included
    audio: float
    why: str | None = None  # set when the burst is not a moment


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Index ranges [a, b] of consecutive True values."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1, strict=True))


def _is_spike(rate: np.ndarray, valid: np.ndarray, a: int, b: int) -> bool:
    """True when the burst's strongest frame changed SPIKE times more than the distinct
    frames on both sides: a hard cut, a glitch or a flash. Real motion builds and fades
    over several frames, even at 5 fps."""
    j = a + int(np.argmax(rate[a : b + 1]))
    before = np.flatnonzero(valid[:j])
    after = np.flatnonzero(valid[j + 1 :])
    if not before.size or not after.size:
        return False
    return bool(rate[j] >= SPIKE * max(rate[before[-1]], rate[j + 1 + after[0]]))


def _bursts(s: Signals, opts: DetectOptions) -> list[_Burst]:
    x, raw = excess(s)
    aud = audio_support(s)
    xe = x * (1.0 + AUDIO_BOOST * aud)
    ms = min(max(opts.min_score, MIN_SCORE), 0.999)
    thr = X_REF * ms / (1.0 - ms)
    valid = distinct(s)
    rate = per_interval(s.t, s.motion, valid)
    out = []
    for a, b in _runs(xe >= HYSTERESIS * thr):
        p = a + int(np.argmax(xe[a : b + 1]))
        if xe[p] < thr:
            continue
        why = None
        if (raw[a : b + 1] >= HYSTERESIS * thr).sum() < MIN_FRAMES:
            why = "only one frame stood out (a cut, a glitch or a flash)"
        elif _is_spike(rate, valid, a, b):
            why = "one frame changed far more than its neighbours (a cut, a glitch or a flash)"
        out.append(_Burst(int(a), int(b), p, float(xe[p]), float(aud[p]), why))
    return out


def _covered(s: Signals) -> np.ndarray:
    """Frames where the lens is covered (a hand, a fade to black) against the file's norm."""
    if not s.coverage.size:
        return np.zeros(s.t.size, bool)
    typical = float(np.median(s.coverage))
    return s.coverage >= max(COVERED, typical + COVERED_RISE)


def _handling_zones(s: Signals, covered: np.ndarray) -> tuple[float, float]:
    """End of the start zone and beginning of the end zone: the first/last EDGE seconds of
    the picture the lens shows, after/before any covering at the very start/end."""
    t = s.t
    first = int(np.argmin(covered)) if covered[0] else 0
    last = t.size - 1 - int(np.argmin(covered[::-1])) if covered[-1] else t.size - 1
    return float(t[first]) + EDGE, float(t[last]) - EDGE


def _explanation(s: Signals, u: _Burst, covered: np.ndarray) -> str | None:
    """Why the burst is not a mishap: the camera, lens handling, the recording's start or
    end, its length or the light explains it (None when nothing does)."""
    t = s.t
    head, tail = _handling_zones(s, covered)
    if t[u.p] < head or t[u.a] < head - EDGE / 2:
        return "start of the recording (the camera being handled)"
    if t[u.p] > tail:
        return "end of the recording (the camera being handled)"
    if t[u.b] - t[u.a] > MAX_BURST:
        return f"lasts {t[u.b] - t[u.a]:.1f} s: sustained work, not a mishap"
    cam = s.camera[u.a : u.b + 1]
    if s.shift.size:
        cam = np.maximum(cam, s.shift[u.a : u.b + 1])
    speed = float(np.median(cam))
    if speed > CAMERA_FAST:
        return f"the camera moves ({speed:.2f} frame widths a second)"
    near = (t > t[u.a] - BASELINE_HALF) & (t < t[u.b] + BASELINE_HALF)
    close = (t >= t[u.a] - EDGE / 2) & (t <= t[u.b] + EDGE / 2)
    if covered[close].any():
        return "the lens is covered"
    base = float(np.median(s.brightness[near]))
    light = np.abs(s.brightness[u.a : u.b + 1] - base).max() / (base + LIGHT_FLOOR)
    if light > MAX_LIGHT_CHANGE:
        return f"the light changes ({light:.0%})"
    return None


def _candidates(s: Signals, opts: DetectOptions) -> tuple[list[Moment], list[Rejected]]:
    """The bursts that are moments, and those that are not with the reason."""
    out, rejected = [], []
    covered = _covered(s)
    t = s.t
    for u in _bursts(s, opts):
        a, p, b, score = float(t[u.a]), float(t[u.p]), float(t[u.b]), score_of(u.x)
        why = u.why or _explanation(s, u, covered)
        if why:
            rejected.append(Rejected(a, p, b, score, why))
            continue
        reasons = ("motion", "audio") if u.audio > 0 else ("motion",)
        out.append(Moment(a, p, b, score, reasons))
    return out, rejected


def _suppress(cands: list[Moment], opts: DetectOptions) -> tuple[list[Moment], list[Rejected]]:
    """Non-maximum suppression: best first, at least ``min_gap`` s apart, at most N; the
    moments left out are returned as rejected."""
    kept: list[Moment] = []
    dropped: list[Rejected] = []
    for m in sorted(cands, key=lambda m: -m.score):
        if any(abs(m.peak - k.peak) < opts.min_gap for k in kept):
            why = f"within --min-gap {opts.min_gap:g} s of a stronger moment"
        elif len(kept) >= opts.max_moments:
            why = f"more than --max-moments {opts.max_moments} in this file"
        else:
            kept.append(m)
            continue
        dropped.append(Rejected(m.start, m.peak, m.end, m.score, why))
    return kept, dropped
