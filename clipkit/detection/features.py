"""What describes a candidate: a few named numbers, read off the prepared series.

Each feature is a physical quantity in units that do not depend on the footage's frame
rate or size (seconds, fractions of the picture, robust spreads), squashed where it
spans orders of magnitude, so that one fitted model serves every camera. ``TEXT``
says in words what a feature means when it counts against a candidate (for
``detect --explain``).
"""

from __future__ import annotations

import numpy as np

from clipkit.analysis.signals import LOOK_GRID
from clipkit.detection.candidates import Candidate
from clipkit.detection.series import CUT_FRAME, Prepared, fit_gain, pool

# The names, in the order of the model's coefficients.
FEATURES = (
    "motion",  # log(1 + motion excess at the peak)
    "region",  # the most one region stands above its bar at the peak (share of it)
    "appearance",  # log(1 + the largest change of appearance the light does not explain)
    "duration",  # log(1 + seconds from start to end)
    "spread",  # share of the regions newly active at the peak (the whole view: ~1)
    "kept",  # share of the raw picture change left once the camera's motion is taken out
    "camera",  # log(1 + 10 x the camera's speed in frame widths a second), median
    "confidence",  # how much of the picture the camera fit explains, low end over the burst
    "light",  # log(1 + 20 x the light change one gain and offset explain)
    "covered",  # how much more of the lens than usual is featureless, near the burst
    "defocus",  # how far sharpness drops below the file's usual during the burst, 0..1
    "cut",  # how much the strongest frame looks like a hard cut, 0..1
    "spike",  # log of how much more the strongest frame changed than its neighbours
    "frames",  # log(1 + distinct frames at more than half the peak's motion)
    "from_start",  # seconds from the recording's start to the peak, up to 3, / 3
    "to_end",  # seconds from the peak to the recording's end, up to 3, / 3
    "has_audio",  # 1 when the file has sound
    "audio",  # strongest sound onset near the peak, in robust spreads / 4, up to 3
    "audio_lag",  # |seconds| from the motion peak to that onset (0.4 without one)
    "fall",  # fastest downward motion in the active regions, frame heights a second
    "rise",  # fastest upward motion there
    "busy",  # log of the file's usual motion around the peak (share of the picture)
    "before",  # motion excess over the 1.5 s before the burst (calm before: ~0)
    "after",  # motion excess over the 1.5 s after it
    "changed",  # how much the regions' look differs after the burst from before it
)  # fmt: skip

# What a feature means, said of a candidate it counts against ("" for none).
TEXT = {
    "motion": "little stands out from the usual motion",
    "region": "no region stands out much",
    "appearance": "nothing changes its look",
    "duration": "its length",
    "spread": "the whole view changes",
    "kept": "the camera's motion explains most of it",
    "camera": "the camera moves",
    "confidence": "the camera's motion cannot be told (whip, cut or covered lens)",
    "light": "the light changes",
    "covered": "the lens is covered",
    "defocus": "the picture goes out of focus (something close to the lens)",
    "cut": "it looks like a cut",
    "spike": "one frame changed far more than its neighbours (a glitch or a flash)",
    "frames": "too few frames show it",
    "from_start": "the start of the recording (the camera being handled)",
    "to_end": "the end of the recording (the camera being handled)",
    "has_audio": "",  # a property of the file, not of the candidate: never a reason
    "audio": "no sharp sound with it",
    "audio_lag": "the sound is not at the same time",
    "fall": "nothing falls",
    "rise": "upward motion",
    "busy": "the scene is busy all the time",
    "before": "motion goes on before it",
    "after": "motion goes on after it",
    "changed": "nothing looks different after it",
}

# Seconds from the recording's start or end beyond which the distance no longer counts.
EDGE_CAP = 3.0
# Seconds looked at before and after the burst for "before" and "after".
AROUND = 1.5
# Seconds around the burst in which a covered lens or a low camera confidence counts.
NEAR = 0.5
# Low end of the camera confidence over a burst: its 10th percentile (one bad frame in
# a steady burst is not the picture failing).
CONF_PCT = 10


def _window(t: np.ndarray, t0: float, t1: float) -> slice:
    return slice(int(np.searchsorted(t, t0, "left")), max(int(np.searchsorted(t, t1, "right")), 1))


def features(pr: Prepared, cands: list[Candidate]) -> np.ndarray:
    """One row of FEATURES per candidate (float64, shape (len(cands), len(FEATURES)))."""
    out = np.zeros((len(cands), len(FEATURES)))
    for k, c in enumerate(cands):
        out[k] = _row(pr, c)
    return out


def _row(pr: Prepared, c: Candidate) -> list[float]:
    s, t, m = pr.s, pr.s.t, pr.motion
    (a, b), p = c.core, c.p
    burst = slice(a, b + 1)
    near = _window(t, t[a] - NEAR, t[b] + NEAR)
    x = m.x
    raw = s.raw[burst] if s.raw.size else s.motion[burst]
    kept = float(np.median(np.where(raw > 0, s.motion[burst] / np.maximum(raw, 1e-9), 1.0)))
    cam = s.shift[burst] if s.shift.size else s.camera[burst]
    conf = float(np.percentile(s.cam_conf[near], CONF_PCT)) if s.cam_conf.size else 1.0
    cover = float(s.coverage[near].max() - np.median(s.coverage)) if s.coverage.size else 0.0
    sharp = float(np.median(s.sharpness)) if s.sharpness.size else 0.0
    defocus = 1.0 - float(s.sharpness[burst].min()) / sharp if sharp > 0 else 0.0
    lag = abs(float(pr.audio_lag[p])) if pr.audio[p] >= 2.0 else 0.4
    fall, rise = _vertical(pr, a, b)
    before = x[_window(t, t[a] - AROUND, t[a] - 1e-6)]
    after = x[_window(t, t[b] + 1e-6, t[b] + AROUND)]
    level = float(m.regions.level[m.regions.idx[p]])
    return [
        float(np.log1p(x[p])),
        float(m.regions.new(slice(p, p + 1)).max()),
        float(np.log1p(pr.appearance.x[burst].max())),
        float(np.log1p(t[b] - t[a])),
        float(m.spread[p]),
        min(kept, 1.0),
        float(np.log1p(10.0 * np.median(cam))),
        conf,
        float(np.log1p(20.0 * pr.light[burst].max())),
        max(cover, 0.0),
        float(np.clip(defocus, 0.0, 1.0)),
        float(s.cut[near].max()) if s.cut.size else 0.0,
        _spike(pr, a, b),
        float(np.log1p(int(((x[burst] >= 0.5 * x[p]) & pr.valid[burst]).sum()))),
        min(float(t[p] - t[0]), EDGE_CAP) / EDGE_CAP,
        min(float(s.duration - t[p]), EDGE_CAP) / EDGE_CAP,
        1.0 if s.has_audio else 0.0,
        float(np.clip(pr.audio[p] / 4.0, 0.0, 3.0)),
        lag,
        fall,
        rise,
        float(np.log(level + 1e-3)),
        float(before.mean()) if before.size and t[a] - AROUND >= t[0] else 0.0,
        float(after.mean()) if after.size else 0.0,
        _changed(pr, a, b),
    ]


def _spike(pr: Prepared, a: int, b: int) -> float:
    """log(1 + how many times more the burst's strongest frame changed than the distinct
    frames on both sides) - a cut, a glitch or a flash changes one frame; real motion
    builds and fades over several, even at 5 fps."""
    rate, valid = pr.rate, pr.valid
    j = a + int(np.argmax(rate[a : b + 1]))
    before = np.flatnonzero(valid[:j])
    after = np.flatnonzero(valid[j + 1 :])
    if not before.size or not after.size:
        return 0.0
    side = max(rate[before[-1]], rate[j + 1 + after[0]], 1e-4)
    return float(np.log1p(max(rate[j] / side - 1.0, 0.0)))


def _vertical(pr: Prepared, a: int, b: int) -> tuple[float, float]:
    """Fastest downward and upward motion (frame heights a second) in the regions newly
    active during the burst, each frame's weighted by how active each region is."""
    dy = pr.s.cells_dy
    w = pool(pr.motion.regions.new(slice(a, b + 1)), LOOK_GRID)
    if dy.ndim != 2 or w is None or dy.shape[1] != w.shape[1]:
        return 0.0, 0.0
    tot = w.sum(axis=1)
    ok = tot > 1e-6
    if not ok.any():
        return 0.0, 0.0
    v = (w[ok] * dy[a : b + 1][ok]).sum(axis=1) / tot[ok]
    return float(np.clip(v.max(), 0.0, 3.0)), float(np.clip(-v.min(), 0.0, 3.0))


# The looks compared for "changed": the mean over 0.5 s before the burst and 0.5 s after.
SETTLE = 0.5


def _changed(pr: Prepared, a: int, b: int) -> float:
    """log(1 + how much the look of the regions where the burst moved differs after it
    from before it, one gain and offset for the whole picture taken out, relative to how
    much those regions' look usually changes over a second): a thing fallen, a person
    on the floor, a spill stays; stirring and chopping leave the scene as it was. Across
    a hard cut the two looks are of two shots: 0, as for no change."""
    lum, t = pr.s.cells_luma, pr.s.t
    w = pr.motion.regions.new(slice(a, b + 1)).sum(axis=0)
    if lum.ndim != 2 or lum.shape[1] != w.size or not w.sum() > 0:
        return 0.0
    if pr.s.cut.size and pr.s.cut[_window(t, t[a] - SETTLE, t[b] + SETTLE)].max() >= CUT_FRAME:
        return 0.0  # before and after are two shots: there is nothing to compare
    pre = lum[_window(t, t[a] - SETTLE, t[a])].mean(axis=0)
    post = lum[_window(t, t[b], t[b] + SETTLE)].mean(axis=0)
    gain, off = (float(v[0, 0]) for v in fit_gain(pre[None], post[None], np.ones((1, pre.size))))
    res = np.abs(post - (gain * pre + off)) / pr.luma_change
    return float(np.log1p((w * res).sum() / w.sum()))
