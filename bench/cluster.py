"""The cluster's overhead: `clipkit cut` with --jobs 2 here against --cluster local:2.

Footage: the four samples plus a generated 78 s scene with four mishaps (four clips
from one file). Both runs start from a cold analysis cache; each reports wall seconds,
CPU seconds (clipkit, its workers and every ffmpeg they ran: the children's rusage)
and utilisation = CPU / (wall x 2). Then the ratio of the two walls, and how the work
would spread over many workers: the number of units and the longest unit (as the
cluster's workers timed them) against the whole run, the bound on the speed-up.
Targets (issue 28): the cluster within 1.15x the local wall, both using the cores at
least 0.85 of the time, identical clips.

    python bench/cluster.py [--preset reels] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # tools/ (the scene generator) is not installed
WORKERS = 2
TARGET_RATIO = 1.15
TARGET_UTIL = 0.85
UNIT = re.compile(r"unit (\d+) of (\d+) took ([\d.]+) s")

# The child that runs one `clipkit cut`: the CLI itself, with the cluster executor's
# timing of each unit (a debug line of clipkit.run.cluster) written to stdout.
CHILD = """
import logging, sys
from clipkit.cli import main
handler = logging.StreamHandler(sys.stdout)
logger = logging.getLogger("clipkit.run.cluster")
logger.addHandler(handler)
logger.setLevel(logging.DEBUG)
logger.propagate = False
main(sys.argv[1:])
"""


def four_moments(path: Path) -> None:
    """A fixed-camera scene (640x360, 30 fps, like the samples) with five happenings, of
    which the reels preset finds four moments."""
    from tools.samplegen import APPLE, JUICE, TIN, WINE, Happening, SceneSpec, Shot, render_scene

    d = 78.0
    spec = SceneSpec(
        name=path.name,
        duration=d,
        seed=5,
        shots=(Shot(0.0, d - 6.5, "stir", "wood"), Shot(d - 6.5, d, "dish", "marble")),
        happenings=(
            Happening("drop", 10.0, color=APPLE),
            Happening("spill", 22.0, x=0.66, color=JUICE),
            Happening("drop", 34.0, x=0.3, color=TIN),
            Happening("spill", 46.0, x=0.5, color=WINE),
            Happening("spill", 58.0, x=0.4, color=JUICE),
        ),
        notes="benchmark: several mishaps in one file",
    )
    render_scene(spec, path, 640, 360, 30)


@dataclass
class Row:
    wall: float
    cpu: float
    clips: int
    digest: str
    units: list[float]  # seconds, as the cluster's workers timed them (none for the pool)

    @property
    def util(self) -> float:
        return self.cpu / (self.wall * WORKERS)


def run(footage: Path, preset: str, work: Path, how: list[str], name: str) -> Row:
    out, cache = work / f"out-{name}", work / f"cache-{name}"
    cmd = [sys.executable, "-c", CHILD, "cut", "-q", "-p", preset, str(footage),
           "-o", str(out), "--cache-dir", str(cache), *how]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # the workers import this clipkit
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, check=True, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    clips = sorted(p for p in out.rglob("*.mp4") if not p.name.startswith("."))
    digest = hashlib.sha256(b"".join(hashlib.sha256(p.read_bytes()).digest() for p in clips))
    units = [float(m.group(3)) for m in UNIT.finditer(done.stdout)]
    return Row(wall, cpu, len(clips), digest.hexdigest()[:12], units)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="reels")
    ap.add_argument("--keep", type=Path, help="Work in DIR (kept) instead of a temporary one.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="clipkit-bench-cluster-") as tmp:
        work = args.keep or Path(tmp)
        footage = work / "footage"
        footage.mkdir(parents=True, exist_ok=True)
        for p in sorted((REPO / "samples").glob("*.mp4")):
            shutil.copy(p, footage / p.name)
        if not (footage / "four_mishaps.mp4").exists():
            four_moments(footage / "four_mishaps.mp4")
        for name in ("local", "cluster"):
            shutil.rmtree(work / f"out-{name}", ignore_errors=True)
            shutil.rmtree(work / f"cache-{name}", ignore_errors=True)
        rows = {
            "local": run(footage, args.preset, work, ["-j", str(WORKERS)], "local"),
            "cluster": run(
                footage, args.preset, work, ["--cluster", f"local:{WORKERS}"], "cluster"
            ),
        }
    print(f"cut of the 4 samples + a 78 s file with 4 moments, preset {args.preset}, "
          f"{WORKERS} workers each way")  # fmt: skip
    print(f"{'run':>14} {'wall s':>8} {'cpu s':>8} {'util':>6} {'clips':>6}  digest")
    for name, r in rows.items():
        how = f"--jobs {WORKERS}" if name == "local" else f"local:{WORKERS}"
        print(f"{how:>14} {r.wall:8.1f} {r.cpu:8.1f} {r.util:6.2f} {r.clips:>6}  {r.digest}")
    local, cluster = rows["local"], rows["cluster"]
    ratio = cluster.wall / local.wall
    units = cluster.units
    print(f"cluster / local wall: {ratio:.2f}")
    if units:
        longest, whole = max(units), cluster.wall
        share, bound = longest / whole, sum(units) / longest
        print(f"units: {len(units)} (analysis per source, render per clip); longest "
              f"{longest:.1f} s of the cluster run's {whole:.1f} s wall ({share:.0%}), "
              f"sum {sum(units):.1f} s: at most {bound:.1f}x with many workers")  # fmt: skip
    checks = {
        f"cluster within {TARGET_RATIO}x the local wall ({ratio:.2f})": ratio <= TARGET_RATIO,
        **{
            f"{name} utilisation >= {TARGET_UTIL} ({r.util:.2f})": r.util >= TARGET_UTIL
            for name, r in rows.items()
        },
        "identical clips": local.digest == cluster.digest,
    }
    for what, ok in checks.items():
        print(f"{'ok  ' if ok else 'MISS'} {what}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
