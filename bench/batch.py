"""Batch parallelism: `clipkit cut` over 4 files with --jobs 1 and --jobs <cores>.

Runs both side by side from a cold analysis cache and reports, for each, the
wall seconds, CPU seconds (clipkit and every ffmpeg it ran) and utilisation =
CPU / (wall x cores). Targets (issue 9): with --jobs = cores, utilisation >= 0.85
over the whole batch and no slower than --jobs 1; both runs give identical clips.

    python bench/batch.py [--preset reels] [--footage samples/]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TypedDict

REPO = Path(__file__).resolve().parent.parent
TARGET_UTILISATION = 0.85


class Run(TypedDict):
    """One batch run's figures."""

    wall: float  # seconds
    cpu: float  # seconds, clipkit and its children
    util: float  # cpu / (wall x cores)
    clips: int
    digest: str  # of every clip's bytes, to compare runs


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def run(footage: Path, preset: str, jobs: int, work: Path) -> Run:
    out, cache = work / f"out-j{jobs}", work / f"cache-j{jobs}"
    cmd = [sys.executable, "-m", "clipkit", "cut", "-q", "-p", preset, str(footage),
           "-o", str(out), "--cache-dir", str(cache), "-j", str(jobs)]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    clips = sorted(p for p in out.rglob("*.mp4") if not p.name.startswith("."))
    digest = hashlib.sha256(b"".join(hashlib.sha256(p.read_bytes()).digest() for p in clips))
    return {"wall": wall, "cpu": cpu, "util": cpu / (wall * cores()), "clips": len(clips),
            "digest": digest.hexdigest()[:12]}  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="reels")
    ap.add_argument("--footage", type=Path, default=REPO / "samples")
    args = ap.parse_args()
    n = cores()
    with tempfile.TemporaryDirectory(prefix="clipkit-bench-batch-") as tmp:
        rows = {j: run(args.footage, args.preset, j, Path(tmp)) for j in (1, n)}
    print(f"batch of {args.footage} with preset {args.preset} on {n} cores")
    print(f"{'jobs':>5} {'wall s':>8} {'cpu s':>8} {'util':>6} {'clips':>6}  digest")
    for j, r in rows.items():
        figures = f"{r['wall']:8.1f} {r['cpu']:8.1f} {r['util']:6.2f} {r['clips']:>6}"
        print(f"{j:>5} {figures}  {r['digest']}")
    par, one = rows[n], rows[1]
    checks = {
        f"utilisation with --jobs {n} >= {TARGET_UTILISATION}": par["util"] >= TARGET_UTILISATION,
        f"--jobs {n} no slower than --jobs 1 (ratio {par['wall'] / one['wall']:.2f})": par["wall"]
        <= one["wall"] * 1.02,  # 2 %: timer noise between two runs on a shared machine
        "identical clips": par["digest"] == one["digest"],
    }
    for what, ok in checks.items():
        print(f"{'ok  ' if ok else 'MISS'} {what}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
