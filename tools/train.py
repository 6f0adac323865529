"""Fit the detection model shipped in clipkit/detection/model.json.

    python -m tools.train [FOLDER ...] [--no-synthetic] [-o FILE]

FOLDER holds videos and a labels.yaml (default: every ../shared/footage* folder). The
synthetic corpus (tools/eventgen: events added to those folders' event-free clips) is
made on first use under tools/_work/synthetic and used too. Every clip is analysed
(cached under tools/_work/cache), every candidate becomes a row of features labelled by
tools/labels.py's rule (on an event: 1; elsewhere: 0; in an ignore window: left out),
and a logistic regression (scikit-learn) is fitted. Deterministic: the same footage
gives the same file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from clipkit.analyse import analyse  # noqa: E402
from clipkit.detection.features import FEATURES  # noqa: E402
from clipkit.detection.model import MODEL_FILE, Model  # noqa: E402
from clipkit.detection.moments import describe  # noqa: E402
from clipkit.probe import probe  # noqa: E402
from clipkit.signals import Signals  # noqa: E402
from tools.labels import TOLERANCE, label_of, load_labels, windows  # noqa: E402

WORK = ROOT / "tools" / "_work"
CACHE = WORK / "cache"
SHARED = ROOT.parent / "shared"
OUT = ROOT / "clipkit" / "detection" / MODEL_FILE
# L2 regularisation of the logistic regression on standardised features (scikit-learn's
# C: smaller is stronger). 0.5: with a few dozen real events, the fit must not lean on
# any one feature more than the data plainly supports.
C = 0.5
# Share of the total weight given to the synthetic corpus (the rest to real footage):
# real footage is what clipkit is for; the synthetic events widen what it has seen.
SYNTHETIC_SHARE = 0.4


def default_folders() -> list[Path]:
    return sorted(p for p in SHARED.glob("footage*") if (p / "labels.yaml").exists())


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


def fit(t: Table, info: dict[str, Any] | None = None) -> Model:
    """A logistic regression on standardised features (deterministic: lbfgs)."""
    from sklearn.linear_model import LogisticRegression

    mean = t.x.mean(axis=0)
    scale = t.x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    lr = LogisticRegression(C=C, max_iter=5000)
    lr.fit((t.x - mean) / scale, t.y, sample_weight=weights(t))
    return Model(FEATURES, mean, scale, lr.coef_[0].copy(), float(lr.intercept_[0]), info or {})


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
    info = {
        "folders": [f.name for f in folders],
        "clips": len(clips),
        "synthetic_clips": sum(c.synthetic for c in clips),
        "rows": int(t.y.size),
        "positives": int(t.y.sum()),
        "C": C,
        "synthetic_share": SYNTHETIC_SHARE,
    }
    model = fit(t, info)
    model.save(args.out)
    print(f"{args.out}: {info}")
    for name, c in sorted(zip(FEATURES, model.coef, strict=True), key=lambda v: -abs(v[1])):
        print(f"  {name:12s} {c:+.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
