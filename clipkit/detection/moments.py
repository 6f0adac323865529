"""Mishap moments from analysed Signals: candidates, their features, the fitted score,
then the best moments at least ``min_gap`` s apart. Pure numpy, no video I/O.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from clipkit.analysis.signals import Signals
from clipkit.detection.candidates import PROPOSE_AUDIO, Candidate, candidates
from clipkit.detection.features import FEATURES, TEXT, features
from clipkit.detection.model import Model, shipped
from clipkit.detection.series import prepare
from clipkit.options import DetectOptions

# Detection as the defaults have it.
DEFAULTS = DetectOptions()

# Files shorter than this give no moments: there is no baseline to stand out from.
MIN_DURATION = 2.0
# The lowest score a moment needs, whatever the sensitivity: at sensitivity 1 every
# candidate would otherwise be a moment, the faintest flicker too.
MIN_SCORE = 0.01
# Candidates scoring at least this are listed by --explain with why they were turned
# down; below it there are many, and none was close.
EXPLAIN_FROM = 0.05
# --explain names at most this many features that counted most against a candidate.
EXPLAIN_TOP = 2


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
    """A candidate that was not reported, and why."""

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
    candidates that were turned down, with the reason (in time order)."""

    moments: list[Moment]
    notes: tuple[str, ...] = ()
    rejected: tuple[Rejected, ...] = ()


@dataclass(frozen=True)
class Scored:
    """Candidates of one file with their times (s), features and scores."""

    candidates: list[Candidate]
    times: np.ndarray  # (n, 3): start, peak, end
    features: np.ndarray  # (n, len(FEATURES))
    scores: np.ndarray  # (n,)
    reasons: list[tuple[str, ...]]


def describe(signals: Signals) -> tuple[list[Candidate], np.ndarray, np.ndarray, list]:
    """The candidates of a file, their (start, peak, end) times, features and reasons;
    no model involved (training reads these too)."""
    if signals.duration < MIN_DURATION or signals.t.size < 4:
        return [], np.zeros((0, 3)), np.zeros((0, len(FEATURES))), []
    pr = prepare(signals)
    cands = candidates(pr)
    t = signals.t
    times = np.array([[t[c.a], t[c.p], t[c.b]] for c in cands]).reshape(-1, 3)
    reasons = []
    for c in cands:
        r = set(c.sources)
        if pr.audio[c.p] >= PROPOSE_AUDIO:
            r.add("audio")
        reasons.append(tuple(k for k in ("motion", "appearance", "audio") if k in r))
    return cands, times, features(pr, cands), reasons


def score(signals: Signals, model: Model | None = None) -> Scored:
    cands, times, feats, reasons = describe(signals)
    m = model or shipped()
    scores = m.score(feats) if len(cands) else np.zeros(0)
    return Scored(cands, times, feats, scores, reasons)


def detect(
    signals: Signals, options: DetectOptions = DEFAULTS, model: Model | None = None
) -> list[Moment]:
    """The mishap moments of one file, best first, at most ``options.max_moments``."""
    return detect_with_notes(signals, options, model).moments


def detect_with_notes(
    signals: Signals, options: DetectOptions = DEFAULTS, model: Model | None = None
) -> Detection:
    """Like ``detect``, with notes on why a file gave nothing and the candidates that were
    turned down, each with the reason."""
    damage = damage_notes(signals)
    if signals.duration < MIN_DURATION or signals.t.size < 4:
        return Detection([], (*damage, f"shorter than {MIN_DURATION:g} s: no moments"))
    m = model or shipped()
    sc = score(signals, m)
    found = pick(sc, options, m)
    return replace(found, notes=damage + found.notes) if damage else found


# Damaged stretches named in a note; more are counted.
DAMAGE_NAMED = 3


def damage_notes(signals: Signals) -> tuple[str, ...]:
    """A note saying where the file is damaged, when the analysis found it so."""
    spans = signals.meta.get("damaged") or []
    if not spans:
        return ()
    where = " and ".join(
        f"{a:.1f} s" if a == b else f"{a:.1f}-{b:.1f} s" for a, b in spans[:DAMAGE_NAMED]
    )
    more = f" (and {len(spans) - DAMAGE_NAMED} more places)" if len(spans) > DAMAGE_NAMED else ""
    return (
        f"the file is damaged: ffmpeg could not decode all of it around {where}{more}; "
        "the picture there may be garbled or frozen",
    )


def pick(sc: Scored, options: DetectOptions, model: Model) -> Detection:
    """The moments among scored candidates, and the candidates turned down."""
    kept: list[Moment] = []
    rejected: list[Rejected] = []
    need = max(model.needed(options.sensitivity), MIN_SCORE)
    for k in np.argsort(-sc.scores, kind="stable"):
        a, p, b = (float(v) for v in sc.times[k])
        s = float(sc.scores[k])
        if s < need:
            if s >= EXPLAIN_FROM:
                rejected.append(Rejected(a, p, b, s, _why_low(sc.features[k], need, model)))
            continue
        if any(abs(p - q.peak) < options.min_gap for q in kept):
            why = f"within --min-gap {options.min_gap:g} s of a stronger moment"
        elif len(kept) >= options.max_moments:
            why = f"more than --max-moments {options.max_moments} in this file"
        else:
            kept.append(Moment(a, p, b, s, sc.reasons[k]))
            continue
        rejected.append(Rejected(a, p, b, s, why))
    rejected.sort(key=lambda r: r.peak)
    return Detection(kept, rejected=tuple(rejected))


def _why_low(x: np.ndarray, need: float, model: Model) -> str:
    """The score against the one needed, and what counted most against it."""
    contrib = model.contributions(x)[0]
    order = [i for i in np.argsort(contrib) if contrib[i] < 0 and TEXT[model.features[i]]]
    said = "; ".join(TEXT[model.features[i]] for i in order[:EXPLAIN_TOP])
    return f"score below {need:.2f}" + (f": {said}" if said else "")
