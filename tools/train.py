"""Fit the detection model shipped in clipkit/detection/model.json.

    python -m tools.train [FOLDER ...] [--no-synthetic] [-o FILE]

FOLDER holds videos and a labels.yaml (default: every ../shared/footage* folder). The
synthetic corpus (tools/eventgen: events added to those folders' event-free clips) is
made on first use under tools/_work/synthetic and used too. Every clip is analysed
(cached under tools/_work/cache), every candidate becomes a row of features labelled by
tools/labels.py's rule (on an event: 1; elsewhere: 0; in an ignore window: left out),
and a logistic regression is fitted with SciPy, each coefficient held to the side
physics allows (SIGNS). Deterministic: the same footage gives the same file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from clipkit.analysis.analyse import analyse  # noqa: E402
from clipkit.analysis.signals import Signals  # noqa: E402
from clipkit.detection.features import FEATURES  # noqa: E402
from clipkit.detection.model import MODEL_FILE, Model  # noqa: E402
from clipkit.detection.moments import DetectOptions, Scored, describe, pick  # noqa: E402
from clipkit.media.probe import probe  # noqa: E402
from tools.eventgen import default_folders  # noqa: E402
from tools.labels import TOLERANCE, Score, label_of, load_labels, score_peaks, windows  # noqa: E402

WORK = ROOT / "tools" / "_work"
CACHE = WORK / "cache"
OUT = ROOT / "clipkit" / "detection" / MODEL_FILE
# L2 regularisation of the logistic regression on standardised features (scikit-learn's
# C: smaller is stronger). 0.5: with a few dozen real events, the fit must not lean on
# any one feature more than the data plainly supports.
C = 0.5
# Share of the total weight given to the synthetic corpus (the rest to real footage):
# real footage is what clipkit is for; the synthetic events widen what it has seen.
SYNTHETIC_SHARE = 0.4
# Folds of real clips (by group) whose out-of-fold scores choose the threshold.
THRESHOLD_FOLDS = 5


@dataclass
class Clip:
    """One labelled video and its analysis."""

    name: str  # folder/file
    group: str  # clips made from the same footage share a group (held out together)
    label: dict[str, Any]
    signals: Signals
    synthetic: bool = False
    _desc: Any = None

    @property
    def desc(self) -> Any:
        """``describe(signals)``: candidates, times, features, reasons (worked out once)."""
        if self._desc is None:
            self._desc = describe(self.signals)
        return self._desc


def load_folder(folder: Path, synthetic: bool = False, log: Any = print) -> list[Clip]:
    """Every labelled video of ``folder``, analysed (cached). A synthetic clip's group is
    its background's name, from its label's ``background`` key."""
    out = []
    for name, lab in sorted(load_labels(folder).items()):
        try:
            sig = analyse(probe(folder / name), cache_dir=CACHE)
        except Exception as e:  # a bad file is left out, and said so
            log(f"{folder.name}/{name}: left out ({e})")
            continue
        group = str(lab.get("background") or f"{folder.name}/{name}")
        out.append(Clip(f"{folder.name}/{name}", group, lab, sig, synthetic))
    return out


@dataclass
class Table:
    """Every labelled candidate of a corpus: one row each."""

    x: np.ndarray  # (rows, FEATURES)
    y: np.ndarray  # 0/1
    clip: np.ndarray  # index of the row's clip in the corpus
    synthetic: np.ndarray  # bool

    def rows(self, keep: np.ndarray) -> Table:
        return Table(self.x[keep], self.y[keep], self.clip[keep], self.synthetic[keep])


def labels(c: Clip) -> list[int | None]:
    """Each candidate's label: on an event, only the one with the strongest motion is a
    positive (it is the moment; the others on the same event are its build-up or
    aftermath, neither right nor wrong, so they are left out); elsewhere 0; None in an
    ignore window."""
    _, times, feats, _ = c.desc
    out = [label_of(float(peak), c.label) for _, peak, _ in times]
    motion = feats[:, FEATURES.index("motion")] if len(out) else np.zeros(0)
    for a, b in windows(c.label, "events"):
        on = [k for k, (_, peak, _) in enumerate(times) if a - TOLERANCE <= peak <= b + TOLERANCE]
        best = max(on, key=lambda k: motion[k], default=None)
        for k in on:
            out[k] = 1 if k == best else None
    return out


def table(clips: Iterable[Clip]) -> Table:
    xs, ys, cs, ss = [], [], [], []
    for i, c in enumerate(clips):
        _, _, feats, _ = c.desc
        for row, y in zip(feats, labels(c), strict=True):
            if y is None:
                continue
            xs.append(row)
            ys.append(y)
            cs.append(i)
            ss.append(c.synthetic)
    return Table(
        np.array(xs).reshape(-1, len(FEATURES)), np.array(ys, int), np.array(cs, int),
        np.array(ss, bool),
    )  # fmt: skip


def weights(t: Table) -> np.ndarray:
    """Row weights: the synthetic rows together weigh SYNTHETIC_SHARE of the total."""
    w = np.ones(t.y.size)
    n_syn, n_real = int(t.synthetic.sum()), int((~t.synthetic).sum())
    if n_syn and n_real:
        w[t.synthetic] = SYNTHETIC_SHARE / (1 - SYNTHETIC_SHARE) * n_real / n_syn
    return w


# Which way a feature may count, whatever the data says (+1: only for an event, -1: only
# against one, 0: either way). Each sign is physics, not a file: nothing is seen through
# a covered lens, a cut, a one-frame flash or a global change of light; a picture the
# camera fit cannot explain is less trustworthy and a moving camera never makes a thing
# more of an event; more local motion, more frames, a falling thing, a change of look
# that stays, a sharp sound at the same time can only count for one; so can distance
# from the recording's ends, where the camera is handled. With a few dozen real events a
# free fit can learn a sign from a coincidence (a synthetic event drawn during a pan, a
# real drop caught in one blurred frame) and a clip it never saw pays for it.
SIGNS = {
    "motion": 1, "region": 1, "appearance": 1, "kept": 1, "confidence": 1,
    "frames": 1, "from_start": 1, "to_end": 1, "audio": 1, "fall": 1, "changed": 1,
    "camera": -1, "light": -1, "covered": -1, "defocus": -1, "cut": -1, "spike": -1,
    "audio_lag": -1,
}  # fmt: skip


def fit_scores(t: Table) -> Model:
    """A logistic regression on standardised features, L2-regularised as scikit-learn's
    (C), each coefficient held to its SIGNS side (L-BFGS-B with bounds: deterministic),
    with the default threshold."""
    from scipy.optimize import minimize

    mean = t.x.mean(axis=0)
    scale = t.x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    x = (t.x - mean) / scale
    y = t.y.astype(float)
    w = weights(t)
    n = x.shape[1]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ theta[:n] + theta[n]
        p = 1.0 / (1.0 + np.exp(-z))
        # log(1 + e^z) - y z, summed with the row weights, plus the L2 term
        nll = float(np.sum(w * (np.logaddexp(0.0, z) - y * z)))
        g = w * (p - y)
        grad = np.append(C * (x.T @ g) + theta[:n], C * g.sum())
        return C * nll + 0.5 * float(theta[:n] @ theta[:n]), grad

    bounds = [(0.0, None) if SIGNS.get(f, 0) > 0 else (None, 0.0) if SIGNS.get(f, 0) < 0
              else (None, None) for f in FEATURES] + [(None, None)]  # fmt: skip
    res = minimize(loss, np.zeros(n + 1), jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 5000, "gtol": 1e-8})  # fmt: skip
    coef = res.x[:n].copy()
    return Model(FEATURES, mean, scale, coef, float(res.x[n]))


def fit(clips: list[Clip], info: dict[str, Any] | None = None) -> Model:
    """The model fitted on ``clips``: its coefficients on all their candidates, its
    threshold (the score needed at sensitivity 0.5) the one that balanced precision and
    recall best (F1) on their real clips, each scored by a model fitted without it."""
    model = fit_scores(table(clips))
    return replace(model, threshold=choose_threshold(clips), info=info or {})


def out_of_fold(clips: list[Clip], folds: int = THRESHOLD_FOLDS) -> dict[int, np.ndarray]:
    """Scores of the candidates of each real clip (by index into ``clips``) from a model
    fitted on the clips of the other folds (clips are dealt into folds by group, so a
    synthetic clip goes with the real clip it was made from)."""
    real = [i for i, c in enumerate(clips) if not c.synthetic]
    groups = sorted({clips[i].group for i in real})
    fold_of = {g: k % folds for k, g in enumerate(groups)}
    out: dict[int, np.ndarray] = {}
    for k in range(folds):
        held = {g for g, f in fold_of.items() if f == k}
        model = fit_scores(table([c for c in clips if c.group not in held]))
        for i in real:
            if clips[i].group in held:
                feats = clips[i].desc[2]
                out[i] = model.score(feats) if len(feats) else np.zeros(0)
    return out


def choose_threshold(clips: list[Clip]) -> float:
    """The score threshold with the best F1 of the moments found on the real clips,
    scored out of fold; the middle of the best run of thresholds (they come in steps)."""
    scores = out_of_fold(clips)
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    f1 = np.array([_f1_at(clips, scores, float(thr)) for thr in grid])
    best = np.flatnonzero(f1 >= f1.max() - 1e-9)
    return float(grid[best[len(best) // 2]])


def _f1_at(clips: list[Clip], scores: dict[int, np.ndarray], thr: float) -> float:
    dummy = Model(FEATURES, np.zeros(len(FEATURES)), np.ones(len(FEATURES)),
                  np.zeros(len(FEATURES)), 0.0, threshold=thr)  # fmt: skip
    tot = Score()
    for i, sc in scores.items():
        cands, times, feats, reasons = clips[i].desc
        found = pick(Scored(cands, times, feats, sc, reasons), DetectOptions(), dummy)
        tot.add(score_peaks([m.peak for m in found.moments], clips[i].label))
    return tot.f1


def corpus(folders: list[Path], synthetic: bool, log: Any = print) -> list[Clip]:
    clips = [c for f in folders for c in load_folder(f, log=log)]
    if synthetic:
        from tools.eventgen import ensure_corpus

        clips += load_folder(ensure_corpus(folders, log=log), synthetic=True, log=log)
    return clips


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folders", nargs="*", type=Path)
    ap.add_argument("--no-synthetic", action="store_true", help="real footage only")
    ap.add_argument("-o", "--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    folders = args.folders or default_folders()
    if not folders:
        print("no labelled footage found (../shared/footage*)", file=sys.stderr)
        return 1
    clips = corpus(folders, not args.no_synthetic)
    t = table(clips)
    info: dict[str, Any] = {
        "folders": [f.name for f in folders],
        "clips": len(clips),
        "synthetic_clips": sum(c.synthetic for c in clips),
        "rows": int(t.y.size),
        "positives": int(t.y.sum()),
        "C": C,
        "synthetic_share": SYNTHETIC_SHARE,
    }
    model = fit(clips, info)
    model.save(args.out)
    print(f"{args.out}: threshold {model.threshold:.2f}, {info}")
    for name, c in sorted(zip(FEATURES, model.coef, strict=True), key=lambda v: -abs(v[1])):
        print(f"  {name:12s} {c:+.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
