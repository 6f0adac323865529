"""Detection accuracy on labelled footage, cross-validated: each clip is judged by a
model fitted without it.

    python bench/accuracy.py [FOLDER ...] [--no-dvr] [--no-synthetic] [--sensitivity S]

FOLDER holds videos and a labels.yaml (default: every ../shared/footage* folder, and
samples/). For each folder of real footage it prints a row per file: moments of the
model fitted without that clip (leave-one-clip-out, the figure that counts), of the
shipped model (fitted on everything: in-sample), and of DVR-Scan with its defaults; then
the totals against issue 24's targets, the synthetic corpus with its backgrounds held
out (5 folds), samples/ with the shipped model (never trained on), the precision-recall
curve over --sensitivity with its average precision, whether recall rises with
sensitivity, and how much of each found event's window its moment covers.

Scoring: tools/labels.py (a moment is right when its peak lies inside an event window
widened by 0.5 s; a second on the same event is a false alarm; one inside an ignore
window counts neither way). DVR-Scan is installed on first use into its own venv under
bench/_work/ (never into clipkit's dependencies).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import venv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clipkit.detection.model import Model, shipped  # noqa: E402
from clipkit.detection.moments import DetectOptions, Moment, Scored, pick  # noqa: E402
from tools.labels import Score, coverage, score_peaks  # noqa: E402
from tools.train import Clip, corpus, default_folders, fit, load_folder  # noqa: E402

WORK = ROOT / "bench" / "_work"
SAMPLES = ROOT / "samples"
# Targets of issue 24.
TARGET_REAL = (0.80, 0.87)  # precision, recall: footage + footage2, leave-one-clip-out
TARGET_SYNTHETIC = (0.85, 0.90)  # held-out backgrounds
TARGET_COVER = 0.8
# Folds for the synthetic corpus: backgrounds are dealt into this many groups.
SYNTHETIC_FOLDS = 5
# The sensitivities of the precision-recall curve.
CURVE = np.round(np.linspace(0.0, 1.0, 21), 2)
# Real footage whose figures are held against the target (footage3 is reported too).
TARGET_SETS = ("footage", "footage2")


def moments(c: Clip, model: Model, options: DetectOptions) -> list[Moment]:
    cands, times, feats, reasons = c.desc
    scores = model.score(feats) if len(cands) else np.zeros(0)
    return pick(Scored(cands, times, feats, scores, reasons), options, model).moments


@dataclass
class Judged:
    """A clip with the scores its candidates got from a model that never saw it."""

    clip: Clip
    model: Model
    dvr: list[float] | None = None
    shipped_peaks: list[float] = field(default_factory=list)


def held_out_models(clips: list[Clip], folds: list[list[int]]) -> dict[int, Model]:
    """For each fold (indices into ``clips``), the model fitted (threshold included) on
    every clip whose group is not in that fold's groups."""
    out = {}
    for fold in folds:
        groups = {clips[i].group for i in fold}
        model = fit([c for c in clips if c.group not in groups])
        for i in fold:
            out[i] = model
    return out


def run_real(clips: list[Clip], options: DetectOptions, dvr: Path | None) -> list[Judged]:
    real = [i for i, c in enumerate(clips) if not c.synthetic]
    models = held_out_models(clips, [[i] for i in real])
    model = shipped()
    judged = []
    for i in real:
        c = clips[i]
        j = Judged(c, models[i])
        j.shipped_peaks = [m.peak for m in moments(c, model, options)]
        if dvr is not None:
            j.dvr = dvr_peaks(dvr, c)
        judged.append(j)
    return judged


def report_real(judged: list[Judged], options: DetectOptions) -> dict[str, Score]:
    totals: dict[str, Score] = {}
    folder = None
    tot = ins = dv = Score()
    for j in judged + [None]:
        name = None if j is None else j.clip.name.split("/")[0]
        if name != folder and folder is not None:
            print(f"TOTAL {folder}: cross-validated {tot}")
            pad = " " * (len(folder) + 7)
            print(f"{pad}in-sample (shipped) {ins}")
            if dv.tp + dv.fp + dv.fn:
                print(f"{pad}DVR-Scan (defaults) {dv}")
            totals[folder] = tot
        if j is None:
            break
        if name != folder:
            folder = name
            tot, ins, dv = Score(), Score(), Score()
            print(f"\n{folder}")
            print(
                f"{'file':46s} {'CV TP FP FN':>12s} {'in-sample':>10s} {'DVR-Scan':>10s}  CV peaks"
            )
        ms = moments(j.clip, j.model, options)
        sc = score_peaks([m.peak for m in ms], j.clip.label)
        si = score_peaks(j.shipped_peaks, j.clip.label)
        tot.add(sc)
        ins.add(si)
        dtxt = "-"
        if j.dvr is not None:
            sd = score_peaks(j.dvr, j.clip.label)
            dv.add(sd)
            dtxt = f"{sd.tp} {sd.fp} {sd.fn}"
        pk = " ".join(f"{m.peak:.1f}({m.score:.2f})" for m in sorted(ms, key=lambda m: m.peak))
        file = j.clip.name.split("/", 1)[1]
        print(
            f"{file[:46]:46s} {sc.tp:4d} {sc.fp:2d} {sc.fn:2d} "
            f"{si.tp:4d} {si.fp:2d} {si.fn:2d} {dtxt:>10s}  {pk}"
        )
    return totals


def curve(judged: list[Judged]) -> None:
    """Precision and recall of the cross-validated scores at each sensitivity, and the
    average precision (the area under the precision-recall steps)."""
    print("\nPrecision-recall over --sensitivity (cross-validated, footage + footage2):")
    rows = []
    use = [j for j in judged if j.clip.name.split("/")[0] in TARGET_SETS]
    for s in CURVE:
        tot = Score()
        opts = DetectOptions(sensitivity=float(s))
        for j in use:
            tot.add(score_peaks([m.peak for m in moments(j.clip, j.model, opts)], j.clip.label))
        rows.append((s, tot))
        print(f"  sensitivity {s:.2f}: {tot}")
    # Average precision: sum over recall steps (highest sensitivity last) of dR x P.
    ap, last_r = 0.0, 0.0
    for _, sc in rows:
        if sc.recall > last_r:
            ap += (sc.recall - last_r) * sc.precision
            last_r = sc.recall
    r = {float(s): sc.recall for s, sc in rows}
    print(f"  average precision {ap:.2f}")
    ok = r[0.9] >= r[0.5]
    print(
        f"  recall at 0.9 ({r[0.9]:.2f}) >= recall at 0.5 ({r[0.5]:.2f}): {'yes' if ok else 'NO'}"
    )
    mono = all(b.recall >= a.recall for (_, a), (_, b) in zip(rows, rows[1:], strict=False))
    print(f"  recall never falls as sensitivity rises: {'yes' if mono else 'NO'}")


def report_cover(judged: list[Judged], options: DetectOptions) -> None:
    """How much of each found event's labelled window its moment covers."""
    covers = []
    for j in judged:
        for m in moments(j.clip, j.model, options):
            c = coverage(m.start, m.end, j.clip.label, m.peak)
            if c is not None:
                covers.append((c, j.clip.name, m))
    short = [x for x in covers if x[0] < TARGET_COVER]
    print(
        f"\nCoverage of the labelled window by the found moment (target >= {TARGET_COVER:.0%}):"
        f" {len(covers) - len(short)} of {len(covers)} found events"
    )
    for c, name, m in short:
        print(f"  {name}: {c:.0%} ([{m.start:.2f}, {m.end:.2f}] s)")


def run_synthetic(clips: list[Clip], options: DetectOptions) -> None:
    syn = [i for i, c in enumerate(clips) if c.synthetic]
    if not syn:
        print("\nsynthetic corpus: not used (--no-synthetic)")
        return
    groups = sorted({clips[i].group for i in syn})
    fold_of = {g: k % SYNTHETIC_FOLDS for k, g in enumerate(groups)}
    folds = [[i for i in syn if fold_of[clips[i].group] == k] for k in range(SYNTHETIC_FOLDS)]
    models = held_out_models(clips, [f for f in folds if f])
    tot = Score()
    kinds: dict[str, Score] = {}
    for i in syn:
        c = clips[i]
        sc = score_peaks([m.peak for m in moments(c, models[i], options)], c.label)
        tot.add(sc)
        kinds.setdefault(str(c.label.get("kind", "none")), Score()).add(sc)
    print(
        f"\nsynthetic corpus ({len(syn)} clips on {len(groups)} backgrounds, "
        f"{SYNTHETIC_FOLDS} folds of held-out backgrounds): {tot}"
    )
    print(f"  target: P >= {TARGET_SYNTHETIC[0]}, R >= {TARGET_SYNTHETIC[1]}")
    for k, sc in sorted(kinds.items()):
        print(f"  {k:12s} {sc}")


def run_samples(options: DetectOptions) -> None:
    if not (SAMPLES / "labels.yaml").exists():
        return
    tot = Score()
    print("\nsamples/ (shipped model; samples are never trained on)")
    for c in load_folder(SAMPLES):
        ms = moments(c, shipped(), options)
        sc = score_peaks([m.peak for m in ms], c.label)
        tot.add(sc)
        pk = " ".join(f"{m.peak:.1f}({m.score:.2f})" for m in sorted(ms, key=lambda m: m.peak))
        print(f"  {c.name.split('/', 1)[1]:44s} {sc.tp} {sc.fp} {sc.fn}  {pk}")
    print(f"TOTAL samples: {tot}  (target: every event, no false alarm)")


def _dvr_exe() -> Path | None:
    """dvr-scan in its own venv under bench/_work/, installed on first use."""
    env = WORK / "dvr-venv"
    exe = env / "bin" / "dvr-scan"
    if not exe.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        venv.create(env, with_pip=True)
        pip = [str(env / "bin" / "pip"), "install", "-q", "dvr-scan[opencv-headless]"]
        if subprocess.run(pip, capture_output=True).returncode != 0:
            return None
    return exe if exe.exists() else None


def dvr_peaks(exe: Path, c: Clip) -> list[float]:
    """Event midpoints reported by DVR-Scan with its defaults (scan only, no output video)."""
    path = c.signals.meta.get("path", "")
    cmd = [str(exe), "-i", str(path), "-so", "-q"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    # With -q, DVR-Scan prints the events as one comma-separated list of timecodes:
    # start1,end1,start2,end2,...
    vals = [v.strip() for v in r.stdout.replace("\n", ",").split(",") if v.strip()]
    secs = [_timecode(v) for v in vals if v.count(":") == 2]
    return [(a + b) / 2 for a, b in zip(secs[::2], secs[1::2], strict=False)]


def _timecode(v: str) -> float:
    h, m, s = v.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folders", nargs="*", type=Path)
    ap.add_argument("--no-dvr", action="store_true", help="skip DVR-Scan")
    ap.add_argument("--no-synthetic", action="store_true", help="real footage only")
    ap.add_argument("--sensitivity", type=float, default=DetectOptions().sensitivity)
    args = ap.parse_args(argv)
    folders = args.folders or default_folders()
    options = DetectOptions(sensitivity=args.sensitivity)
    clips = corpus(folders, not args.no_synthetic)
    dvr = None if args.no_dvr else _dvr_exe()
    judged = run_real(clips, options, dvr)
    totals = report_real(judged, options)
    both = Score()
    for k in TARGET_SETS:
        if k in totals:
            both.add(totals[k])
    p, r = TARGET_REAL
    met = "met" if both.precision >= p and both.recall >= r else "NOT met"
    sets = " + ".join(k for k in TARGET_SETS if k in totals)
    print(f"\n{sets}, leave-one-clip-out: {both}   target P >= {p}, R >= {r}: {met}")
    curve(judged)
    report_cover(judged, options)
    run_synthetic(clips, options)
    run_samples(options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
