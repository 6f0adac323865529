"""Candidates: every place where something may have happened, from every signal.

A candidate is proposed by a burst of local motion (a peak of the motion excess), a
burst of local change of appearance (foam, smoke, a flame, spilled milk) or a sharp
sound with motion near it. Proposals close together are one candidate. Nothing is
turned down here: each candidate is described by its features and the model decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clipkit.detection.series import Prepared

# A local maximum of the motion excess (mean excess over the regions, relative to the
# file's usual motion) this high is proposed: a quarter of what a plain, clear mishap
# reaches, so that small and slow ones are proposed too and the model judges them.
PROPOSE_MOTION = 0.2
# ...or one where a single region stands this far (share of the region) above its bar:
# a coin or an egg a few percent of the picture wide fills a good part of one region.
PROPOSE_REGION = 0.15
# The same for a change of appearance the light does not explain (relative to the
# file's usual change).
PROPOSE_APPEARANCE = 0.5
# A sound onset this many robust spreads above the file's usual onsets...
PROPOSE_AUDIO = 4.0
# ...with local motion near it (within the sound's own +-0.4 s) at least this high.
AUDIO_MOTION = 0.05
# A proposal is the highest value within +-0.5 s; proposals from different signals
# within 0.5 s of each other are one candidate.
PEAK_HALF = 0.5
# A candidate extends from its peak while its signal stays above this share of the
# peak value, over dips shorter than EXTENT_GAP s.
EXTENT_SHARE = 0.2
EXTENT_GAP = 0.3
# ...and at most this far (s): longer than a boil-over's rise, shorter than the clip.
MAX_BEFORE = 4.0
MAX_AFTER = 6.0


@dataclass(frozen=True)
class Candidate:
    """Frame indices of a candidate's start, peak and end, and what proposed it."""

    a: int
    p: int
    b: int
    sources: tuple[str, ...]


def local_peaks(t: np.ndarray, x: np.ndarray, floor: float, half: float = PEAK_HALF) -> list[int]:
    """Frames where ``x`` >= ``floor`` and is the largest within +-``half`` s (the first
    of equal values)."""
    out = []
    lo = np.searchsorted(t, t - half, side="left")
    hi = np.searchsorted(t, t + half, side="right")
    for i in np.flatnonzero(x >= floor):
        window = x[lo[i] : hi[i]]
        if x[i] >= window.max() and int(np.argmax(window)) + lo[i] == i:
            out.append(int(i))
    return out


def extent(t: np.ndarray, x: np.ndarray, p: int) -> tuple[int, int]:
    """The run around ``p`` where ``x`` stays above EXTENT_SHARE of ``x[p]``, bridging
    dips shorter than EXTENT_GAP s, within MAX_BEFORE/MAX_AFTER s."""
    level = EXTENT_SHARE * x[p]
    a = b = p
    last = p
    while a > 0 and t[p] - t[a - 1] <= MAX_BEFORE:
        a -= 1
        if x[a] >= level:
            last = a
        elif t[last] - t[a] > EXTENT_GAP:
            break
    a = last
    last = p
    while b < t.size - 1 and t[b + 1] - t[p] <= MAX_AFTER:
        b += 1
        if x[b] >= level:
            last = b
        elif t[b] - t[last] > EXTENT_GAP:
            break
    return a, last


def candidates(pr: Prepared) -> list[Candidate]:
    """The candidates of one file, in time order."""
    t = pr.s.t
    m, app = pr.motion, pr.appearance
    top = np.zeros(t.size)
    for a in range(0, t.size, 4096):
        top[a : a + 4096] = m.regions.new(slice(a, a + 4096)).max(axis=1)
    proposals: list[tuple[int, str]] = []
    proposals += [(i, "motion") for i in local_peaks(t, m.x, PROPOSE_MOTION)]
    proposals += [(i, "motion") for i in local_peaks(t, top, PROPOSE_REGION)]
    proposals += [(i, "appearance") for i in local_peaks(t, app.x, PROPOSE_APPEARANCE)]
    for i in local_peaks(t, pr.audio, PROPOSE_AUDIO):
        near = np.flatnonzero(np.abs(t - t[i]) <= PEAK_HALF)
        j = int(near[np.argmax(m.x[near])])
        if m.x[j] >= AUDIO_MOTION:
            proposals.append((j, "audio"))
    return _merge(pr, sorted(proposals))


def _merge(pr: Prepared, proposals: list[tuple[int, str]]) -> list[Candidate]:
    """Proposals within PEAK_HALF s of each other as one candidate: its peak is the
    strongest motion among them, its extent the union of theirs."""
    t = pr.s.t
    out: list[Candidate] = []
    group: list[tuple[int, str]] = []

    def close() -> None:
        if not group:
            return
        idx = [i for i, _ in group]
        p = max(idx, key=lambda i: (pr.motion.x[i], -i))
        a, b = extent(t, pr.motion.x, p)
        for i, src in group:
            if src == "appearance":
                a2, b2 = extent(t, pr.appearance.x, i)
                a, b = min(a, a2), max(b, b2)
        sources = tuple(sorted({src for _, src in group}))
        out.append(Candidate(a, p, b, sources))
        group.clear()

    for i, src in proposals:
        if group and t[i] - t[group[0][0]] > PEAK_HALF:
            close()
        group.append((i, src))
    close()
    return out
