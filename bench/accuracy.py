"""Detection accuracy on labelled footage: clipkit beside DVR-Scan (its defaults).

    python bench/accuracy.py [FOLDER ...] [--no-dvr] [--sensitivity S] [--sweep]

FOLDER holds videos and a labels.yaml (default: samples/ and ../shared/footage/ when
they exist). Prints a row per file and totals: precision, recall, F1.

With --sweep it prints instead, for each of the detection constants in clipkit.detect,
the totals with that constant at 0.8x and 1.25x its value (the others unchanged): a
result that holds only at the exact value of some constant is tuned, not a rule.

Scoring (issue 7): a moment is correct when its peak lies inside an event window widened
by 0.5 s; a second moment on the same event is a false alarm; moments inside an ignore
window do not count either way. DVR-Scan is installed on first use into its own venv
under bench/_work/ (never into clipkit's dependencies).
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clipkit import detect as detection  # noqa: E402
from clipkit.analyse import analyse  # noqa: E402
from clipkit.detect import DetectOptions, detect  # noqa: E402
from clipkit.probe import probe  # noqa: E402
from clipkit.signals import Signals  # noqa: E402

WORK = ROOT / "bench" / "_work"
# Labels are hand-placed to about a frame or two; 0.5 s is the tolerance.
TOLERANCE = 0.5
# --sweep: each constant at these multiples of its value.
SWEEP = (0.8, 1.25)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, o: Score) -> None:
        self.tp, self.fp, self.fn = self.tp + o.tp, self.fp + o.fp, self.fn + o.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score_peaks(peaks: list[float], label: dict) -> Score:
    """Score moment peaks against one file's labels: its event and ignore windows (see
    the module docstring)."""
    events, ignore = label.get("events") or [], label.get("ignore") or []
    hit = [False] * len(events)
    sc = Score()
    for p in peaks:
        for i, (a, b) in enumerate(events):
            if a - TOLERANCE <= p <= b + TOLERANCE:
                if hit[i]:
                    sc.fp += 1
                else:
                    hit[i] = True
                    sc.tp += 1
                break
        else:
            if not any(a <= p <= b for a, b in ignore):
                sc.fp += 1
    sc.fn = hit.count(False)
    return sc


def load_labels(folder: Path) -> dict[str, dict]:
    with open(folder / "labels.yaml") as f:
        return yaml.safe_load(f) or {}


def clipkit_peaks(path: Path, options: DetectOptions, cache: Path | None) -> list[float]:
    sig = analyse(probe(path), cache_dir=cache)
    return [m.peak for m in detect(sig, options)]


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


def dvr_peaks(exe: Path, path: Path) -> list[float]:
    """Event midpoints reported by DVR-Scan with its defaults (scan only, no output video)."""
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


def _fmt(sc: Score) -> str:
    return f"{sc.tp:3d} {sc.fp:3d} {sc.fn:3d}"


def run_folder(folder: Path, options: DetectOptions, dvr: Path | None, cache: Path) -> None:
    labels = load_labels(folder)
    tot, tot_dvr = Score(), Score()
    print(f"\n{folder}")
    print(f"{'file':48s} {'clipkit TP FP FN':>17s} {'DVR-Scan TP FP FN':>18s}  clipkit peaks")
    for name, lab in sorted(labels.items()):
        path = folder / name
        try:
            peaks = clipkit_peaks(path, options, cache)
        except Exception as e:  # a bad file is a row, not the end of the benchmark
            print(f"{name:48s} error: {e}")
            continue
        sc = score_peaks(peaks, lab)
        tot.add(sc)
        dtxt = "      -"
        if dvr is not None:
            dsc = score_peaks(dvr_peaks(dvr, path), lab)
            tot_dvr.add(dsc)
            dtxt = _fmt(dsc)
        pk = " ".join(f"{p:.1f}" for p in peaks)
        print(f"{name[:48]:48s} {_fmt(sc):>17s} {dtxt:>18s}  {pk}")
    for label, sc in (("clipkit", tot), ("DVR-Scan (defaults)", tot_dvr if dvr else None)):
        if sc is None:
            print(f"TOTAL {label}: not run (dvr-scan could not be installed or --no-dvr)")
        else:
            print(
                f"TOTAL {label}: TP {sc.tp} FP {sc.fp} FN {sc.fn}  "
                f"P {sc.precision:.2f} R {sc.recall:.2f} F1 {sc.f1:.2f}"
            )


def sweep_constants() -> list[str]:
    """The float constants of clipkit.detect (detection rules, not analysis: changing
    those would need the footage analysed again)."""
    return [k for k, v in vars(detection).items() if k.isupper() and isinstance(v, float)]


@contextlib.contextmanager
def constant(name: str, value: float) -> Iterator[None]:
    """clipkit.detect.<name> set to ``value`` for the duration of the block."""
    old = getattr(detection, name)
    setattr(detection, name, value)
    try:
        yield
    finally:
        setattr(detection, name, old)


def total(files: list[tuple[Signals, dict]], options: DetectOptions) -> Score:
    tot = Score()
    for sig, lab in files:
        peaks = [m.peak for m in detect(sig, options)]
        tot.add(score_peaks(peaks, lab))
    return tot


def run_sweep(folders: list[Path], options: DetectOptions, cache: Path) -> None:
    """Totals per folder with each detection constant scaled by each SWEEP factor."""
    sets: dict[Path, list[tuple[Signals, dict]]] = {}
    for folder in folders:
        files = sets.setdefault(folder, [])
        for name, lab in sorted(load_labels(folder).items()):
            try:
                files.append((analyse(probe(folder / name), cache_dir=cache), lab))
            except Exception as e:  # a bad file is left out, and said so
                print(f"{folder.name}/{name}: left out ({e})")

    def row(label: str) -> str:
        cols = []
        for files in sets.values():
            sc = total(files, options)
            counts = f"{sc.tp:2d}/{sc.fp:2d}/{sc.fn:2d}"
            cols.append(f"P {sc.precision:.2f} R {sc.recall:.2f} ({counts})")
        return f"{label:32s} " + "   ".join(cols)

    print(f"{'constant (TP/FP/FN)':32s} " + "   ".join(f"{k.name:24s}" for k in sets))
    print(row("as shipped"))
    for name in sweep_constants():
        value = getattr(detection, name)
        for f in SWEEP:
            with constant(name, value * f):
                print(row(f"{name} x{f:g} ({value * f:.3g})"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folders", nargs="*", type=Path)
    ap.add_argument("--no-dvr", action="store_true", help="skip DVR-Scan")
    ap.add_argument("--sensitivity", type=float, default=DetectOptions().sensitivity)
    ap.add_argument("--sweep", action="store_true", help="totals with each constant scaled")
    args = ap.parse_args(argv)
    folders = args.folders or [
        f
        for f in (ROOT / "samples", ROOT.parent / "shared" / "footage")
        if (f / "labels.yaml").exists()
    ]
    options = DetectOptions(sensitivity=args.sensitivity)
    if args.sweep:
        run_sweep(folders, options, WORK / "cache")
        return 0
    dvr = None if args.no_dvr else _dvr_exe()
    for folder in folders:
        run_folder(folder, options, dvr, WORK / "cache")
    return 0


if __name__ == "__main__":
    sys.exit(main())
