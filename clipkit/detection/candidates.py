"""Candidates: every place where something may have happened, from every signal.

A candidate is proposed by a burst of local motion (a peak of the motion excess), a
burst of local change of appearance (foam, smoke, a flame, spilled milk) or a sharp
sound with motion near it. Proposals close together are one candidate. Nothing is
turned down here but what physics rules out (see ``candidates``): each candidate is
described by its features and the model decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clipkit.detection.series import APPEARANCE_LAG, Prepared

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
# peak value, over dips shorter than EXTENT_GAP s: from the first stir to the settling.
EXTENT_SHARE = 0.2
EXTENT_GAP = 0.3
# Its core, which its features describe, is where the signal stays above half the peak,
# over dips shorter than one frame interval of steppy 5 fps footage.
CORE_SHARE = 0.5
CORE_GAP = 0.2
# ...and at most this far (s): longer than a boil-over's rise, shorter than the clip.
MAX_BEFORE = 4.0
MAX_AFTER = 6.0


@dataclass(frozen=True)
class Candidate:
    """Frame indices of a candidate's start, peak and end, of its core (where it is at
    more than half its peak: what its features describe), and what proposed it."""

    a: int
    p: int
    b: int
    sources: tuple[str, ...]
    core: tuple[int, int] = (0, 0)


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


def extent(
    t: np.ndarray, x: np.ndarray, p: int, share: float = EXTENT_SHARE, gap: float = EXTENT_GAP
) -> tuple[int, int]:
    """The run around ``p`` where ``x`` stays above ``share`` of ``x[p]``, bridging dips
    shorter than ``gap`` s, within MAX_BEFORE/MAX_AFTER s."""
    level = share * x[p]
    a = b = p
    last = p
    while a > 0 and t[p] - t[a - 1] <= MAX_BEFORE:
        a -= 1
        if x[a] >= level:
            last = a
        elif t[last] - t[a] > gap:
            break
    a = last
    last = p
    while b < t.size - 1 and t[b + 1] - t[p] <= MAX_AFTER:
        b += 1
        if x[b] >= level:
            last = b
        elif t[b] - t[last] > gap:
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
    # The one hard rule: a burst already going in the first frame that can show motion
    # began before the recording did. Whether it was sudden cannot be seen (a hand at
    # the lens starting the camera looks just like it), so it is no candidate.
    first = int(np.argmax(pr.valid)) if pr.valid.any() else 0
    return [c for c in _merge(pr, sorted(proposals)) if c.core[0] > first]


def _merge(pr: Prepared, proposals: list[tuple[int, str]]) -> list[Candidate]:
    """Proposals as candidates. Motion and sound proposals within PEAK_HALF s of each
    other are one candidate, its peak the strongest motion among them. A change of
    appearance is measured against the picture APPEARANCE_LAG s before, so a sudden
    change shows as one for that long after it: an appearance proposal from PEAK_HALF s
    before a motion candidate's peak to APPEARANCE_LAG s after its motion ends is part
    of that candidate; the others are candidates of their own (foam rising slowly,
    smoke)."""
    t = pr.s.t
    moving = _groups(t, [i for i, src in proposals if src != "appearance"])
    looks = [i for i, src in proposals if src == "appearance"]
    sources = {(i, src) for i, src in proposals}
    out: list[Candidate] = []
    alone: list[int] = []
    attached: dict[int, list[int]] = {}
    peaks = [max(g, key=lambda i: (pr.motion.x[i], -i)) for g in moving]
    ends = [extent(t, pr.motion.x, p)[1] for p in peaks]
    for i in looks:
        near = [
            k for k, (p, b) in enumerate(zip(peaks, ends, strict=True))
            if t[p] - PEAK_HALF <= t[i] <= t[b] + APPEARANCE_LAG
        ]  # fmt: skip
        if near:
            attached.setdefault(min(near, key=lambda k: abs(t[i] - t[peaks[k]])), []).append(i)
        else:
            alone.append(i)
    for k, (g, p) in enumerate(zip(moving, peaks, strict=True)):
        srcs = {src for i, src in sources if i in g}
        out.append(_candidate(pr, p, attached.get(k, []), srcs))
    for g in _groups(t, alone):
        p = max(g, key=lambda i: (pr.appearance.x[i], -i))
        out.append(_candidate(pr, p, g, set()))
    return sorted(out, key=lambda c: c.p)


def _groups(t: np.ndarray, idx: list[int]) -> list[list[int]]:
    """Frame indices (sorted) in runs whose members lie within PEAK_HALF s of the first."""
    out: list[list[int]] = []
    for i in sorted(idx):
        if out and t[i] - t[out[-1][0]] <= PEAK_HALF:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _candidate(pr: Prepared, p: int, looks: list[int], sources: set[str]) -> Candidate:
    """The candidate peaking at ``p``, its extent the union of its motion's and that of
    each change of appearance in ``looks``."""
    t = pr.s.t
    a, b = extent(t, pr.motion.x, p)
    for i in looks:
        a2, b2 = extent(t, pr.appearance.x, i)
        a, b = min(a, a2), max(b, b2)
    if looks:
        sources = sources | {"appearance"}
    core = extent(t, pr.motion.x, p, CORE_SHARE, CORE_GAP)
    return Candidate(a, p, b, tuple(sorted(sources)), core)
